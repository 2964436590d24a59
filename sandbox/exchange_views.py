"""The provincial data-sharing exchange stand-in: ``POST /sandbox/exchange/<source>/<operation>/``.

Every request is signed (``X-App-Key`` + HMAC, see portal/core/http.py); a bad signature or a replayed
nonce is refused with 401 before anything else. Then the source's fault injection (``SourceFault``) may
add latency, answer 5xx, or hang and answer 504. Answers are JSON envelopes:

- 200 ``{"code": "ok", "data": {...}}``
- 404 ``{"code": "not_found", "message": ...}`` — no such record
- 409 ``{"code": "mismatch", "fields": [...]}`` — the record exists but contradicts what was claimed
- 400 ``{"code": "bad_request", ...}``, 401 ``{"code": "bad_signature" | "replayed"}``
- 5xx ``{"code": "error" | "timeout", ...}`` — injected faults
"""

import json
import random
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from portal.core.http import verify_signature
from portal.core.idcodes import normalize_credit_code, normalize_id_number, normalize_property_cert_no
from sandbox.models import (
    BirthRecord,
    DegreeRecord,
    DisabilityRecord,
    Enterprise,
    Lease,
    MandarinTest,
    MarriageRecord,
    MedicalReport,
    Person,
    Property,
    ResidencePermit,
    SocialInsurance,
    Source,
    SourceFault,
    StudentRecord,
    TeacherEmployment,
    TeacherExam,
    WelfareRecord,
)

NONCE_TTL = 600  # seconds; longer than the signature's allowed clock skew
BATCH_LIMIT = 1000  # subjects per batch request (批量比对), as real exchanges allow; more → 400
_system_random = random.SystemRandom()


class BadRequest(Exception):
    pass


def ok(data: dict) -> JsonResponse:
    return JsonResponse({"code": "ok", "data": data}, json_dumps_params={"ensure_ascii": False})


def not_found(message: str) -> JsonResponse:
    return JsonResponse({"code": "not_found", "message": message}, status=404)


def mismatch(*fields: str) -> JsonResponse:
    return JsonResponse({"code": "mismatch", "fields": list(fields)}, status=409)


HANDLERS: dict[tuple[str, str], Callable[[dict], JsonResponse]] = {}


def interface(source: str, operation: str):
    def register(handler):
        HANDLERS[(source, operation)] = handler
        return handler

    return register


# --- request checks --------------------------------------------------------------------------------


def _id(payload: dict, name: str = "id_number", *, required: bool = True) -> str | None:
    value = payload.get(name)
    if value in (None, "") and not required:
        return None
    try:
        return normalize_id_number(str(value or ""))
    except ValidationError as exc:
        raise BadRequest(f"{name}: {' '.join(str(m) for m in exc.messages)}") from None


def _ids(payload: dict) -> list[str]:
    """The ``id_numbers`` of a batch request: a list of 1 to BATCH_LIMIT valid ID numbers (400 otherwise;
    the message names the position, never the number)."""
    values = payload.get("id_numbers")
    limit = int(getattr(settings, "SANDBOX_EXCHANGE_BATCH_LIMIT", BATCH_LIMIT))
    if not isinstance(values, list) or not values:
        raise BadRequest(f"id_numbers: a list of 1 to {limit} ID numbers")
    if len(values) > limit:
        raise BadRequest(f"id_numbers: at most {limit} per request, got {len(values)}")
    out = []
    for position, value in enumerate(values):
        try:
            out.append(normalize_id_number(str(value or "")))
        except ValidationError as exc:
            raise BadRequest(f"id_numbers[{position}]: {' '.join(str(m) for m in exc.messages)}") from None
    return out


def registered_apps() -> dict[str, str]:
    """App key → secret of the applications the exchange knows: ``SANDBOX_EXCHANGE_APPS`` if set, else the
    portal's own key and secret (so a test can give the portal a wrong secret and see it refused)."""
    return getattr(settings, "SANDBOX_EXCHANGE_APPS", None) or {
        settings.EXCHANGE_APP_KEY: settings.EXCHANGE_APP_SECRET
    }


def _authentic(request) -> str | None:
    """None if the request is signed by a registered application, else the refusal code."""
    secret = registered_apps().get(request.headers.get("X-App-Key", ""))
    if secret is None or not verify_signature(
        secret=secret,
        method=request.method,
        path=request.get_full_path(),
        headers=request.headers,
        body=request.body,
    ):
        return "bad_signature"
    if not cache.add(f"sandbox:exchange:nonce:{request.headers['X-Nonce']}", 1, NONCE_TTL):
        return "replayed"
    return None


def _injected_fault(source: str) -> JsonResponse | None:
    """Apply the source's fault settings: sleep, then maybe answer 5xx or hang and answer 504."""
    if not SourceFault.objects.filter(source=source).exists():
        return None
    with transaction.atomic():
        fault = SourceFault.objects.select_for_update().get(source=source)
        fault.requests += 1
        SourceFault.objects.filter(pk=fault.pk).update(requests=fault.requests)
    rng = random.Random(f"{fault.seed}:{fault.requests}") if fault.seed is not None else _system_random
    if fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    draw = rng.random()
    if draw < fault.timeout_rate:
        time.sleep(fault.hang_ms / 1000)
        return JsonResponse({"code": "timeout", "message": "upstream registry timed out"}, status=504)
    if draw < fault.timeout_rate + fault.error_rate:
        status = rng.choice((500, 502, 503))
        # A failing backend sometimes sends a body that looks like an answer; clients must not trust it.
        return JsonResponse({"code": "ok" if status == 502 else "error", "data": {}}, status=status)
    return None


@csrf_exempt
def exchange(request, source: str, operation: str):
    if request.method != "POST":
        return JsonResponse({"code": "method_not_allowed"}, status=405)
    refusal = _authentic(request)
    if refusal:
        return JsonResponse({"code": refusal}, status=401)
    handler = HANDLERS.get((source, operation))
    if handler is None:
        return JsonResponse({"code": "no_such_interface", "message": f"{source}/{operation}"}, status=404)
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"code": "bad_request", "message": "body is not JSON"}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"code": "bad_request", "message": "body must be a JSON object"}, status=400)
    fault = _injected_fault(source)
    if fault is not None:
        return fault
    try:
        return handler(payload)
    except BadRequest as exc:
        return JsonResponse({"code": "bad_request", "message": str(exc)}, status=400)


# --- serialisation ---------------------------------------------------------------------------------


def person_json(p: Person) -> dict:
    hukou = None
    if p.household_no:
        hukou = {
            "household_no": p.household_no,
            "address": p.address,
            "community_code": p.community_code,
            "move_in_date": p.move_in_date.isoformat() if p.move_in_date else None,
            "relation": p.relation,
        }
    return {
        "id_number": p.id_number,
        "name": p.name,
        "gender": p.gender,
        "birth_date": p.birth_date.isoformat(),
        "hukou": hukou,
    }


def property_json(p: Property) -> dict:
    return {
        "cert_no": p.cert_no,
        "owner_ids": sorted(o.id_number for o in p.owners.all()),
        "address": p.address,
        "community_code": p.community_code,
        "area_m2": str(p.area_m2),
        "registered_date": p.registered_date.isoformat(),
        "use": p.use,
    }


def _records(qs, fields: list[str]) -> list[dict]:
    out = []
    for row in qs.values(*fields):
        out.append({k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()})
    return out


# --- 户籍 ------------------------------------------------------------------------------------------

_RELATION_ORDER = {"head": 0, "spouse": 1, "parent": 2, "child": 3, "grandchild": 4, "other": 5}


@interface(Source.HUKOU, "person")
def hukou_person(payload):
    person = Person.objects.filter(id_number=_id(payload)).first()
    if person is None:
        return not_found("no such person in the household registry")
    name = payload.get("name")
    if name is not None and name != person.name:
        return mismatch("name")
    return ok(person_json(person))


@interface(Source.HUKOU, "household")
def hukou_household(payload):
    person = Person.objects.filter(id_number=_id(payload)).first()
    if person is None or not person.household_no:
        return not_found("no household booklet for this person")
    members = sorted(
        Person.objects.filter(household_no=person.household_no),
        key=lambda m: (_RELATION_ORDER.get(m.relation, 9), m.birth_date, m.id_number),
    )
    head = next((m for m in members if m.relation == "head"), person)
    return ok(
        {
            "household_no": person.household_no,
            "address": head.address,
            "community_code": head.community_code,
            "members": [person_json(m) for m in members],
        }
    )


# --- 不动产 ----------------------------------------------------------------------------------------


def _titles(id_number: str):
    return Property.objects.filter(owners__id_number=id_number).prefetch_related("owners").order_by("cert_no")


@interface(Source.PROPERTY, "by-owner")
def property_by_owner(payload):
    id_number = _id(payload)
    return ok({"id_number": id_number, "properties": [property_json(p) for p in _titles(id_number)]})


@interface(Source.PROPERTY, "sole-residence")
def sole_residence(payload):
    id_number = _id(payload)
    try:
        cert_no = normalize_property_cert_no(str(payload.get("cert_no") or ""))
    except ValidationError as exc:
        raise BadRequest(f"cert_no: {' '.join(str(m) for m in exc.messages)}") from None
    title = Property.objects.filter(cert_no=cert_no).prefetch_related("owners").first()
    if title is None:
        return not_found("no such property certificate")
    if id_number not in {o.id_number for o in title.owners.all()}:
        return mismatch("cert_no")
    residential = _titles(id_number).filter(use="residential").count()
    return ok(
        {
            "id_number": id_number,
            "cert_no": cert_no,
            "sole": title.use == "residential" and residential == 1,
            "residential_count": residential,
        }
    )


@interface(Source.PROPERTY, "no-property")
def no_property(payload):
    id_number = _id(payload)
    if not Person.objects.filter(id_number=id_number).exists():
        return not_found("no such person: a no-property proof is issued to a registered person only")
    residential = _titles(id_number).filter(use="residential").count()
    return ok({"id_number": id_number, "owns_property": residential > 0, "residential_count": residential})


# --- 居住证, 租赁, 社保 ----------------------------------------------------------------------------


@interface(Source.RESIDENCE_PERMIT, "permit")
def residence_permit(payload):
    permit = ResidencePermit.objects.filter(id_number=_id(payload)).first()
    if permit is None:
        return not_found("no residence permit")
    fields = ["id_number", "community_code", "address", "issued_date", "valid_until"]
    return ok(_records(ResidencePermit.objects.filter(pk=permit.pk), fields)[0])


@interface(Source.LEASE, "by-tenant")
def leases_by_tenant(payload):
    id_number = _id(payload)
    leases = (
        Lease.objects.filter(tenants__id_number=id_number).prefetch_related("tenants").order_by("lease_no")
    )
    return ok(
        {
            "id_number": id_number,
            "leases": [
                {
                    "lease_no": lease.lease_no,
                    "tenant_ids": sorted(t.id_number for t in lease.tenants.all()),
                    "community_code": lease.community_code,
                    "address": lease.address,
                    "start_date": lease.start_date.isoformat(),
                    "end_date": lease.end_date.isoformat(),
                }
                for lease in leases
            ],
        }
    )


@interface(Source.SOCIAL_INSURANCE, "records")
def social_insurance(payload):
    id_number = _id(payload)
    fields = ["id_number", "city", "first_month", "months_paid"]
    return ok(
        {
            "id_number": id_number,
            "records": _records(SocialInsurance.objects.filter(id_number=id_number), fields),
        }
    )


# --- 出生, 婚姻 ------------------------------------------------------------------------------------


@interface(Source.BIRTH, "record")
def birth_record(payload):
    child_id = _id(payload, "child_id")
    parent_id = _id(payload, "parent_id", required=False)
    record = BirthRecord.objects.filter(child_id=child_id).order_by("cert_no").first()
    if record is None:
        return not_found("no birth record for this child")
    if parent_id and parent_id not in (record.mother_id, record.father_id):
        return mismatch("parent_id")
    return ok(
        {
            "cert_no": record.cert_no,
            "child_id": record.child_id,
            "mother_id": record.mother_id or None,
            "father_id": record.father_id or None,
        }
    )


@interface(Source.MARRIAGE, "records")
def marriage_records(payload):
    id_number = _id(payload)
    spouse_id = _id(payload, "spouse_id", required=False)
    records = MarriageRecord.objects.filter(Q(party_a=id_number) | Q(party_b=id_number)).order_by(
        "date", "cert_no"
    )
    if spouse_id:
        records = records.filter(Q(party_a=spouse_id) | Q(party_b=spouse_id))
        if not records:
            return mismatch("spouse_id")
    return ok(
        {
            "id_number": id_number,
            "records": [
                {
                    "cert_no": r.cert_no,
                    "party_ids": [r.party_a, r.party_b],
                    "date": r.date.isoformat(),
                    "status": r.status,
                }
                for r in records
            ],
        }
    )


# --- 学籍, 民政, 残联, 学历, 市场监管 --------------------------------------------------------------


@interface(Source.STUDENT, "records")
def student_records(payload):
    id_number = _id(payload)
    fields = ["id_number", "school_code", "stage", "grade", "status", "graduation_year"]
    return ok(
        {
            "id_number": id_number,
            "records": _records(StudentRecord.objects.filter(id_number=id_number), fields),
        }
    )


@interface(Source.WELFARE, "records")
def welfare_records(payload):
    id_number = _id(payload)
    fields = ["id_number", "type", "valid_until"]
    return ok(
        {
            "id_number": id_number,
            "records": _records(WelfareRecord.objects.filter(id_number=id_number), fields),
        }
    )


@interface(Source.WELFARE, "batch")
def welfare_batch(payload):
    """批量比对: ``{"results": [{"id_number", "records": [...]}, …]}``, one entry per asked ID number, each
    exactly what ``welfare/records/`` answers for that person."""
    ids = _ids(payload)
    fields = ["id_number", "type", "valid_until"]
    by_person: dict[str, list] = {i: [] for i in ids}
    rows = WelfareRecord.objects.filter(id_number__in=set(ids)).order_by("id_number", "type")
    for record in _records(rows, fields):
        by_person[record["id_number"]].append(record)
    return ok({"results": [{"id_number": i, "records": by_person[i]} for i in dict.fromkeys(ids)]})


@interface(Source.DISABILITY, "record")
def disability_record(payload):
    record = DisabilityRecord.objects.filter(id_number=_id(payload)).first()
    if record is None:
        return not_found("no disability certificate")
    return ok({"id_number": record.id_number, "level": record.level})


@interface(Source.DISABILITY, "batch")
def disability_batch(payload):
    """批量比对: ``{"results": [{"id_number", "record": {"id_number", "level"} | null}, …]}``, one entry per
    asked ID number; ``record`` is what ``disability/record/`` answers, null where it answers 404."""
    ids = _ids(payload)
    levels = dict(DisabilityRecord.objects.filter(id_number__in=set(ids)).values_list("id_number", "level"))
    return ok(
        {
            "results": [
                {"id_number": i, "record": {"id_number": i, "level": levels[i]} if i in levels else None}
                for i in dict.fromkeys(ids)
            ]
        }
    )


_DEGREE_FIELDS = ["cert_no", "id_number", "degree", "major", "institution", "year"]


@interface(Source.DEGREE, "records")
def degree_records(payload):
    id_number = _id(payload)
    return ok(
        {
            "id_number": id_number,
            "records": _records(DegreeRecord.objects.filter(id_number=id_number), _DEGREE_FIELDS),
        }
    )


@interface(Source.DEGREE, "verify")
def degree_verify(payload):
    id_number = _id(payload)
    records = _records(DegreeRecord.objects.filter(cert_no=str(payload.get("cert_no") or "")), _DEGREE_FIELDS)
    if not records:
        return not_found("no such degree certificate")
    if records[0]["id_number"] != id_number:
        return mismatch("id_number")
    return ok(records[0])


@interface(Source.ENTERPRISE, "record")
def enterprise_record(payload):
    try:
        code = normalize_credit_code(str(payload.get("credit_code") or ""))
    except ValidationError as exc:
        raise BadRequest(f"credit_code: {' '.join(str(m) for m in exc.messages)}") from None
    legal_rep_id = _id(payload, "legal_rep_id", required=False)
    enterprise = Enterprise.objects.filter(credit_code=code).first()
    if enterprise is None:
        return not_found("no such enterprise")
    if legal_rep_id and legal_rep_id != enterprise.legal_rep_id:
        return mismatch("legal_rep_id")
    return ok(
        {
            "credit_code": enterprise.credit_code,
            "name": enterprise.name,
            "legal_rep_id": enterprise.legal_rep_id,
            "status": enterprise.status,
            "address": enterprise.address,
        }
    )


# --- 教师资格考试, 普通话, 体检, 教师任职 ------------------------------------------------------------


def _verified(model, key_field: str, payload: dict, fields: list[str], missing: str):
    """A certificate by its number, checked against the person it is claimed for: 404 unknown, 409
    awarded to someone else, else the record."""
    id_number = _id(payload)
    records = _records(model.objects.filter(**{key_field: str(payload.get(key_field) or "")}), fields)
    if not records:
        return not_found(missing)
    if records[0]["id_number"] != id_number:
        return mismatch("id_number")
    return ok(records[0])


@interface(Source.TEACHER_EXAM, "verify")
def teacher_exam_verify(payload):
    fields = ["cert_no", "id_number", "stage", "subject", "passed_on", "valid_until"]
    return _verified(TeacherExam, "cert_no", payload, fields, "no such exam pass certificate")


@interface(Source.MANDARIN, "verify")
def mandarin_verify(payload):
    fields = ["cert_no", "id_number", "level"]
    return _verified(MandarinTest, "cert_no", payload, fields, "no such Mandarin certificate")


@interface(Source.MEDICAL, "verify")
def medical_verify(payload):
    fields = ["report_no", "id_number", "result", "date"]
    return _verified(MedicalReport, "report_no", payload, fields, "no such medical report")


_EMPLOYMENT_FIELDS = ["id_number", "school_code", "service_start", "break_months"]


@interface(Source.TEACHER_EMPLOYMENT, "record")
def teacher_employment_record(payload):
    records = _records(TeacherEmployment.objects.filter(id_number=_id(payload)), _EMPLOYMENT_FIELDS)
    if not records:
        return not_found("no employment record for this person")
    return ok(records[0])


@interface(Source.TEACHER_EMPLOYMENT, "started-until")
def teacher_employment_roster(payload):
    """The education bureau's roster: every teacher whose service started on or before ``started_until``
    (the bureau's own records; the portal subtracts breaks and picks the honour's year)."""
    from datetime import date

    try:
        until = date.fromisoformat(str(payload.get("started_until")))
    except ValueError:
        raise BadRequest("started_until is a date YYYY-MM-DD") from None
    rows = TeacherEmployment.objects.filter(service_start__lte=until).order_by("id_number")
    names = dict(
        Person.objects.filter(id_number__in=rows.values("id_number")).values_list("id_number", "name")
    )
    records = _records(rows, _EMPLOYMENT_FIELDS)
    for record in records:
        record["name"] = names.get(record["id_number"], "")
    return ok({"records": records})


# --- statistics (aggregate counts, no personal data: no authorisation needed; 学位预警) -----------------


def _codes_and_range(payload: dict, low: str, high: str):
    from datetime import date

    codes = payload.get("community_codes")
    valid = isinstance(codes, list) and 0 < len(codes) <= 5000 and all(isinstance(c, str) for c in codes)
    if not valid:
        raise BadRequest("community_codes: a list of 1 to 5000 community codes")
    try:
        start, end = date.fromisoformat(str(payload.get(low))), date.fromisoformat(str(payload.get(high)))
    except ValueError:
        raise BadRequest(f"{low} and {high} are dates YYYY-MM-DD") from None
    if start > end:
        raise BadRequest(f"{low} is after {high}")
    return codes, start, end


@interface(Source.HUKOU, "cohort-counts")
def hukou_cohort_counts(payload):
    """How many persons with 户籍 in each community were born in [born_from, born_until]."""
    from django.db.models import Count

    codes, start, end = _codes_and_range(payload, "born_from", "born_until")
    rows = (
        Person.objects.filter(community_code__in=codes, birth_date__gte=start, birth_date__lte=end)
        .values_list("community_code")
        .annotate(n=Count("pk"))
    )
    return ok({"counts": {code: n for code, n in rows}})


@interface(Source.PROPERTY, "registration-counts")
def property_registration_counts(payload):
    """How many residential properties in each community were registered in [from, until]."""
    from django.db.models import Count

    codes, start, end = _codes_and_range(payload, "registered_from", "registered_until")
    rows = (
        Property.objects.filter(
            community_code__in=codes, use="residential", registered_date__gte=start, registered_date__lte=end
        )
        .values_list("community_code")
        .annotate(n=Count("pk"))
    )
    return ok({"counts": {code: n for code, n in rows}})
