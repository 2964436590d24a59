"""The registry fixture format (contracts/registry-fixture.md): validation and mapping onto the tables.

Each section maps onto one table (properties and leases also onto their owners / tenants table). A record is
validated field by field; a value that is wrong is reported with the record it belongs to, as
``persons[3] (360426199101010072): id_number: …``. ``rows(section, record)`` turns a *validated* record into
the column tuples the bulk writer inserts; the seeder produces records of the same shape, so both paths
write the same rows.

Record keys (a record whose key already exists replaces the old one):

=================== ==========================
persons             id_number
properties          cert_no
residence_permits   id_number
leases              lease_no
social_insurance    id_number + city
births              cert_no
marriages           cert_no
student_records     id_number + stage
welfare             id_number + type
disabilities        id_number
degrees             cert_no
enterprises         credit_code
teacher_exams       cert_no
mandarin_tests      cert_no
medical_reports     report_no
teacher_employment  id_number
=================== ==========================
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from portal.core.idcodes import normalize_credit_code, normalize_id_number, normalize_property_cert_no
from sandbox import models as m

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


class Invalid(ValueError):
    """A field value is wrong; the message says how."""


# --- field validators: value -> normalised value, or raise Invalid ---------------------------------


def _message(exc: ValidationError) -> str:
    return " ".join(str(msg) for msg in exc.messages)


def id_number(value) -> str:
    if not isinstance(value, str):
        raise Invalid("an ID number is a string")
    try:
        return normalize_id_number(value)
    except ValidationError as exc:
        raise Invalid(f"{value!r}: {_message(exc)}") from None


def credit_code(value) -> str:
    if not isinstance(value, str):
        raise Invalid("a credit code is a string")
    try:
        return normalize_credit_code(value)
    except ValidationError as exc:
        raise Invalid(f"{value!r}: {_message(exc)}") from None


def property_cert_no(value) -> str:
    if not isinstance(value, str):
        raise Invalid("a certificate number is a string")
    try:
        return normalize_property_cert_no(value)
    except ValidationError as exc:
        raise Invalid(f"{value!r}: {_message(exc)}") from None


def text(max_length: int) -> Callable[[object], str]:
    def check(value) -> str:
        if not isinstance(value, str) or not value.strip():
            raise Invalid("must be a non-empty string")
        if len(value) > max_length:
            raise Invalid(f"longer than {max_length} characters")
        return value  # never trimmed or re-encoded: rare characters and · are kept as given

    return check


def iso_date(value) -> str:
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise Invalid(f"{value!r} is not a YYYY-MM-DD date")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{value!r} is not a real date") from None
    return value


def month(value) -> str:
    if not isinstance(value, str) or not _MONTH_RE.match(value):
        raise Invalid(f"{value!r} is not a YYYY-MM month")
    return value


def phone(value) -> str:
    if not isinstance(value, str) or not _PHONE_RE.match(value):
        raise Invalid(f"{value!r} is not an 11-digit mobile number")
    return value


def choice(*allowed: str) -> Callable[[object], str]:
    def check(value) -> str:
        if value not in allowed:
            raise Invalid(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return check


def integer(low: int, high: int) -> Callable[[object], int]:
    def check(value) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(f"{value!r} is not a whole number from {low} to {high}")
        return value

    return check


def area(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{value!r} is not a number")
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise Invalid(f"{value!r} is not a number") from None
    if not Decimal("0") < amount < Decimal("10000000"):
        raise Invalid(f"{value!r} m² is not a possible area")
    return str(amount)


def id_list(*, size: int | None = None) -> Callable[[object], list[str]]:
    def check(value) -> list[str]:
        if not isinstance(value, list) or not value:
            raise Invalid("must be a non-empty list of ID numbers")
        if size is not None and len(value) != size:
            raise Invalid(f"must list exactly {size} ID numbers")
        ids = [id_number(v) for v in value]
        if len(set(ids)) != len(ids):
            raise Invalid("lists an ID number twice")
        return ids

    return check


# --- sections --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    name: str
    key: tuple[str, ...]
    fields: dict[str, Callable]
    optional: frozenset[str] = frozenset()  # may be missing or null
    person_refs: tuple[str, ...] = ()  # fields naming persons (ID numbers or lists of them)
    nested: dict[str, "Section"] = field(default_factory=dict)


HUKOU = Section(
    name="hukou",
    key=(),
    fields={
        "household_no": text(32),
        "address": text(300),
        "community_code": text(32),
        "move_in_date": iso_date,
        "relation": choice(*m.Relation.values),
    },
)

SECTIONS: dict[str, Section] = {
    s.name: s
    for s in [
        Section(
            name="persons",
            key=("id_number",),
            fields={
                "id_number": id_number,
                "name": text(100),
                "gender": choice("M", "F"),
                "birth_date": iso_date,
                "phone": phone,
                "hukou": dict,  # validated as the nested section below
            },
            optional=frozenset({"phone", "hukou"}),
            nested={"hukou": HUKOU},
        ),
        Section(
            name="properties",
            key=("cert_no",),
            fields={
                "cert_no": property_cert_no,
                "owner_ids": id_list(),
                "address": text(300),
                "community_code": text(32),
                "area_m2": area,
                "registered_date": iso_date,
                "use": choice("residential", "commercial"),
            },
            person_refs=("owner_ids",),
        ),
        Section(
            name="residence_permits",
            key=("id_number",),
            fields={
                "id_number": id_number,
                "community_code": text(32),
                "address": text(300),
                "issued_date": iso_date,
                "valid_until": iso_date,
            },
            person_refs=("id_number",),
        ),
        Section(
            name="leases",
            key=("lease_no",),
            fields={
                "lease_no": text(64),
                "tenant_ids": id_list(),
                "community_code": text(32),
                "address": text(300),
                "start_date": iso_date,
                "end_date": iso_date,
            },
            person_refs=("tenant_ids",),
        ),
        Section(
            name="social_insurance",
            key=("id_number", "city"),
            fields={
                "id_number": id_number,
                "city": text(64),
                "first_month": month,
                "months_paid": integer(0, 1200),
            },
            person_refs=("id_number",),
        ),
        Section(
            name="births",
            key=("cert_no",),
            fields={
                "cert_no": text(64),
                "child_id": id_number,
                "mother_id": id_number,
                "father_id": id_number,
            },
            optional=frozenset({"mother_id", "father_id"}),
            person_refs=("child_id", "mother_id", "father_id"),
        ),
        Section(
            name="marriages",
            key=("cert_no",),
            fields={
                "cert_no": text(64),
                "party_ids": id_list(size=2),
                "date": iso_date,
                "status": choice("married", "divorced"),
            },
            person_refs=("party_ids",),
        ),
        Section(
            name="student_records",
            key=("id_number", "stage"),
            fields={
                "id_number": id_number,
                "school_code": text(32),
                "stage": choice("primary", "junior"),
                "grade": integer(1, 9),
                "status": choice("enrolled", "suspended", "graduated"),
                "graduation_year": integer(1950, 2100),
            },
            person_refs=("id_number",),
        ),
        Section(
            name="welfare",
            key=("id_number", "type"),
            fields={
                "id_number": id_number,
                "type": choice("dibao", "tekun", "dibian"),
                "valid_until": iso_date,
            },
            person_refs=("id_number",),
        ),
        Section(
            name="disabilities",
            key=("id_number",),
            fields={"id_number": id_number, "level": integer(1, 4)},
            person_refs=("id_number",),
        ),
        Section(
            name="degrees",
            key=("cert_no",),
            fields={
                "id_number": id_number,
                "degree": text(32),
                "major": text(100),
                "institution": text(200),
                "cert_no": text(64),
                "year": integer(1950, 2100),
            },
            person_refs=("id_number",),
        ),
        Section(
            name="enterprises",
            key=("credit_code",),
            fields={
                "credit_code": credit_code,
                "name": text(200),
                "legal_rep_id": id_number,
                "status": choice("active", "revoked"),
                "address": text(300),
            },
            person_refs=("legal_rep_id",),
        ),
        Section(
            name="teacher_exams",
            key=("cert_no",),
            fields={
                "cert_no": text(64),
                "id_number": id_number,
                "stage": choice("kindergarten", "primary", "junior", "senior"),
                "subject": text(64),
                "passed_on": iso_date,
                "valid_until": iso_date,
            },
            person_refs=("id_number",),
        ),
        Section(
            name="mandarin_tests",
            key=("cert_no",),
            fields={"cert_no": text(64), "id_number": id_number, "level": choice(*m.MANDARIN_LEVELS)},
            person_refs=("id_number",),
        ),
        Section(
            name="medical_reports",
            key=("report_no",),
            fields={
                "report_no": text(64),
                "id_number": id_number,
                "result": choice("fit", "unfit"),
                "date": iso_date,
            },
            person_refs=("id_number",),
        ),
        Section(
            name="teacher_employment",
            key=("id_number",),
            fields={
                "id_number": id_number,
                "school_code": text(32),
                "service_start": iso_date,
                "break_months": integer(0, 1200),
            },
            person_refs=("id_number",),
        ),
    ]
}


def validate_record(section: Section, record) -> tuple[dict, list[str]]:
    """Return the normalised record and the problems found (``field: message``), none if it is valid."""
    if not isinstance(record, dict):
        return {}, ["is not a JSON object"]
    problems = [f"unknown key {key!r}" for key in record if key not in section.fields]
    clean: dict = {}
    for name, check in section.fields.items():
        value = record.get(name)
        if value is None:
            if name not in section.optional:
                problems.append(f"{name}: required")
            clean[name] = None
            continue
        if name in section.nested:
            inner, inner_problems = validate_record(section.nested[name], value)
            problems += [f"{name}: {p}" for p in inner_problems]
            clean[name] = inner
            continue
        try:
            clean[name] = check(value)
        except Invalid as exc:
            problems.append(f"{name}: {exc}")
    return clean, problems


def record_key(section: Section, record: dict) -> tuple:
    return tuple(record.get(k) for k in section.key)


def referenced_ids(section: Section, record: dict) -> list[tuple[str, str]]:
    """(field, ID number) for every person the record names."""
    found = []
    for name in section.person_refs:
        value = record.get(name)
        for v in value if isinstance(value, list) else [value]:
            if v:
                found.append((name, v))
    return found


# --- rows: a validated record -> (model, column tuple) pairs ---------------------------------------
# Tuples follow the order of the model's concrete non-primary-key fields (checked in the writer).


def rows(section: str, r: dict) -> list[tuple[type, tuple]]:
    if section == "persons":
        h = r.get("hukou") or {}
        return [
            (
                m.Person,
                (
                    r["id_number"],
                    r["name"],
                    r["gender"],
                    r["birth_date"],
                    r.get("phone"),
                    h.get("household_no", ""),
                    h.get("address", ""),
                    h.get("community_code", ""),
                    h.get("move_in_date"),
                    h.get("relation", ""),
                ),
            )
        ]
    if section == "properties":
        out = [
            (
                m.Property,
                (
                    r["cert_no"],
                    r["address"],
                    r["community_code"],
                    str(r["area_m2"]),
                    r["registered_date"],
                    r["use"],
                ),
            )
        ]
        return out + [(m.PropertyOwner, (r["cert_no"], owner)) for owner in r["owner_ids"]]
    if section == "residence_permits":
        return [
            (
                m.ResidencePermit,
                (r["id_number"], r["community_code"], r["address"], r["issued_date"], r["valid_until"]),
            )
        ]
    if section == "leases":
        out = [(m.Lease, (r["lease_no"], r["community_code"], r["address"], r["start_date"], r["end_date"]))]
        return out + [(m.LeaseTenant, (r["lease_no"], tenant)) for tenant in r["tenant_ids"]]
    if section == "social_insurance":
        return [(m.SocialInsurance, (r["id_number"], r["city"], r["first_month"], r["months_paid"]))]
    if section == "births":
        return [
            (m.BirthRecord, (r["cert_no"], r["child_id"], r.get("mother_id") or "", r.get("father_id") or ""))
        ]
    if section == "marriages":
        a, b = r["party_ids"]
        return [(m.MarriageRecord, (r["cert_no"], a, b, r["date"], r["status"]))]
    if section == "student_records":
        return [
            (
                m.StudentRecord,
                (r["id_number"], r["school_code"], r["stage"], r["grade"], r["status"], r["graduation_year"]),
            )
        ]
    if section == "welfare":
        return [(m.WelfareRecord, (r["id_number"], r["type"], r["valid_until"]))]
    if section == "disabilities":
        return [(m.DisabilityRecord, (r["id_number"], r["level"]))]
    if section == "degrees":
        return [
            (
                m.DegreeRecord,
                (r["cert_no"], r["id_number"], r["degree"], r["major"], r["institution"], r["year"]),
            )
        ]
    if section == "enterprises":
        return [(m.Enterprise, (r["credit_code"], r["name"], r["legal_rep_id"], r["status"], r["address"]))]
    if section == "teacher_exams":
        return [
            (
                m.TeacherExam,
                (r["cert_no"], r["id_number"], r["stage"], r["subject"], r["passed_on"], r["valid_until"]),
            )
        ]
    if section == "mandarin_tests":
        return [(m.MandarinTest, (r["cert_no"], r["id_number"], r["level"]))]
    if section == "medical_reports":
        return [(m.MedicalReport, (r["report_no"], r["id_number"], r["result"], r["date"]))]
    if section == "teacher_employment":
        return [
            (m.TeacherEmployment, (r["id_number"], r["school_code"], r["service_start"], r["break_months"]))
        ]
    raise KeyError(section)


# The model (table) that holds each section's key, for replacing existing records.
SECTION_MODEL: dict[str, type] = {
    "persons": m.Person,
    "properties": m.Property,
    "residence_permits": m.ResidencePermit,
    "leases": m.Lease,
    "social_insurance": m.SocialInsurance,
    "births": m.BirthRecord,
    "marriages": m.MarriageRecord,
    "student_records": m.StudentRecord,
    "welfare": m.WelfareRecord,
    "disabilities": m.DisabilityRecord,
    "degrees": m.DegreeRecord,
    "enterprises": m.Enterprise,
    "teacher_exams": m.TeacherExam,
    "mandarin_tests": m.MandarinTest,
    "medical_reports": m.MedicalReport,
    "teacher_employment": m.TeacherEmployment,
}
