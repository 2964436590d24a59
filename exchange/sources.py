"""One typed look-up per registry of the data-sharing exchange, each returning frozen dataclasses.

Call them through ``exchange.services.lookup`` — it checks the guardian's authorisation and records the
look-up — e.g. ``lookup(sources.hukou_person, id_number=child_id, requester=user, purpose=…, case=case)``;
called directly they raise ``NotAuthorised``. Each function names the parameter that identifies whose data it
reads (``subject``), which the authorisation must cover.

Record look-ups (a person has at most one) return the record or raise ``NotFound``. List look-ups (a person
may have none or several: titles, leases, contributions, marriages, 学籍, welfare, degrees) return a tuple,
empty when there is nothing. Verifications raise ``Mismatch`` when the registry contradicts the claim.

Batch look-ups (批量比对: ``*_batch(*, id_numbers)``) compare many people at once for the bureau's own
proactive scans; call them through ``exchange.services.batch_lookup``. They send at most
``EXCHANGE_BATCH_SIZE`` (≤ 1,000) subjects per request and answer for every ID number asked.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from functools import wraps

from django.core.exceptions import ValidationError

from exchange import conf
from exchange.client import call
from exchange.errors import Unavailable
from portal.core import pii
from portal.core.idcodes import normalize_credit_code, normalize_id_number, normalize_property_cert_no

HUKOU = "hukou"
PROPERTY = "property"
RESIDENCE_PERMIT = "residence_permit"
LEASE = "lease"
SOCIAL_INSURANCE = "social_insurance"
BIRTH = "birth"
MARRIAGE = "marriage"
STUDENT = "student"
WELFARE = "welfare"
DISABILITY = "disability"
DEGREE = "degree"
ENTERPRISE = "enterprise"
TEACHER_EXAM = "teacher_exam"
MANDARIN = "mandarin"
MEDICAL = "medical"
TEACHER_EMPLOYMENT = "teacher_employment"

SOURCES: dict[str, str] = {
    HUKOU: "户籍 Household registration",
    PROPERTY: "不动产 Real-estate registry",
    RESIDENCE_PERMIT: "居住证 Residence permits",
    LEASE: "房屋租赁 Registered leases",
    SOCIAL_INSURANCE: "社保 Social insurance",
    BIRTH: "出生医学证明 Birth records",
    MARRIAGE: "婚姻登记 Marriage records",
    STUDENT: "学籍 Student registry",
    WELFARE: "民政 Welfare (低保/特困/低边)",
    DISABILITY: "残联 Disability registry",
    DEGREE: "学历 Degree registry",
    ENTERPRISE: "市场监管 Enterprise registry",
    TEACHER_EXAM: "教师资格考试 Teacher-qualification exam results",
    MANDARIN: "普通话水平测试 Mandarin test",
    MEDICAL: "体检结论 Designated hospital's medical results",
    TEACHER_EMPLOYMENT: "教师任职 Teachers' employment records",
}


def source(name: str, *, subject: str | None = "id_number", batch: bool = False):
    """Mark a function as a look-up of registry ``name`` about the person named by parameter ``subject``
    (``None``: a roster of the authority's own records about no one person, called through
    ``exchange.services.roster_lookup``; ``batch``: about every person whose ID number is in parameter
    ``subject``, called through ``exchange.services.batch_lookup``)."""

    def mark(fn: Callable) -> Callable:
        @wraps(fn)
        def look_up(**params):
            try:
                return fn(**params)
            except (KeyError, TypeError, ValueError) as exc:  # an answer without the promised shape
                raise Unavailable(f"malformed answer from {name}: {type(exc).__name__}", source=name) from exc

        look_up.source = name
        look_up.subject_param = subject
        look_up.batch = batch
        return look_up

    return mark


# The most subjects a real exchange takes in one batch request (it refuses more with a 400).
BATCH_LIMIT = 1000


def batch_size() -> int:
    """Subjects per batch request: ``EXCHANGE_BATCH_SIZE``, at least 1 (the exchange refuses over 1,000)."""
    return max(1, int(conf.get("EXCHANGE_BATCH_SIZE")))


def unique_id_numbers(id_numbers: Iterable[str]) -> dict[str, str]:
    """ID number as given → normalised (upper-case X, no spaces), in the order given; ValidationError
    (ID number masked) for the first one that is not a valid ID number."""
    out: dict[str, str] = {}
    for position, given in enumerate(id_numbers):
        if given in out:
            continue
        try:
            out[given] = normalize_id_number(given)
        except ValidationError as exc:
            raise ValidationError(
                f"id_numbers[{position}] ({pii.mask_id(str(given))}): {' '.join(exc.messages)}"
            ) from None
    return out


def chunks(items: list[str], size: int | None = None) -> Iterator[list[str]]:
    """``items`` in slices of ``size`` (default :func:`batch_size`)."""
    size = size or batch_size()
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _batch(source: str, id_numbers: Iterable[str], parse: Callable[[dict], object]) -> dict:
    """POST ``<source>/batch/`` once per chunk of distinct normalised ID numbers; ``parse`` turns one
    subject's entry of the answer into its value. Keys are the ID numbers as given."""
    given = unique_id_numbers(id_numbers)
    wanted = list(dict.fromkeys(given.values()))
    found: dict[str, object] = {}
    for chunk in chunks(wanted):
        entries = call(source, "batch", {"id_numbers": chunk})["results"]
        answered = {entry["id_number"]: parse(entry) for entry in entries}
        missing = [i for i in chunk if i not in answered]
        if missing:  # an answer that leaves someone out is not an answer about them
            raise ValueError(f"{len(missing)} subject(s) missing from the batch answer")
        found.update((i, answered[i]) for i in chunk)
    return {asked: found[normalised] for asked, normalised in given.items()}


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _build(cls, data: dict):
    """A dataclass from the fields it knows (the exchange may add fields to an answer)."""
    return cls(**{f.name: data[f.name] for f in fields(cls)})


# --- 户籍 ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HukouPerson:
    id_number: str
    name: str
    gender: str
    birth_date: date
    household_no: str
    address: str
    community_code: str
    move_in_date: date | None
    relation: str  # head | spouse | child | parent | grandchild | other

    @classmethod
    def from_json(cls, d: dict) -> "HukouPerson":
        h = d.get("hukou") or {}
        return cls(
            id_number=d["id_number"],
            name=d["name"],
            gender=d["gender"],
            birth_date=date.fromisoformat(d["birth_date"]),
            household_no=h.get("household_no", ""),
            address=h.get("address", ""),
            community_code=h.get("community_code", ""),
            move_in_date=_date(h.get("move_in_date")),
            relation=h.get("relation", ""),
        )


@dataclass(frozen=True)
class Household:
    """A 户口簿: its number, address and members (head first)."""

    household_no: str
    address: str
    community_code: str
    members: tuple[HukouPerson, ...]

    @property
    def head(self) -> HukouPerson | None:
        return next((m for m in self.members if m.relation == "head"), None)

    def member(self, id_number: str) -> HukouPerson | None:
        return next((m for m in self.members if m.id_number == id_number), None)


@source(HUKOU)
def hukou_person(*, id_number: str, name: str | None = None) -> HukouPerson:
    """The person's 户籍 entry; with ``name``, Mismatch unless the registered name is exactly that."""
    payload = {"id_number": normalize_id_number(id_number)}
    if name is not None:
        payload["name"] = name
    return HukouPerson.from_json(call(HUKOU, "person", payload))


@source(HUKOU)
def hukou_household(*, id_number: str) -> Household:
    """The 户口簿 the person is on, with every member."""
    d = call(HUKOU, "household", {"id_number": normalize_id_number(id_number)})
    return Household(
        household_no=d["household_no"],
        address=d["address"],
        community_code=d["community_code"],
        members=tuple(HukouPerson.from_json(m) for m in d["members"]),
    )


# --- 不动产 ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Property:
    cert_no: str
    owner_ids: tuple[str, ...]
    address: str
    community_code: str
    area_m2: Decimal
    registered_date: date
    use: str  # residential | commercial

    @property
    def is_residential(self) -> bool:
        return self.use == "residential"


@source(PROPERTY)
def properties_by_owner(*, id_number: str) -> tuple[Property, ...]:
    """Every title the person (co-)owns."""
    d = call(PROPERTY, "by-owner", {"id_number": normalize_id_number(id_number)})
    return tuple(
        Property(
            cert_no=p["cert_no"],
            owner_ids=tuple(p["owner_ids"]),
            address=p["address"],
            community_code=p["community_code"],
            area_m2=Decimal(p["area_m2"]),
            registered_date=date.fromisoformat(p["registered_date"]),
            use=p["use"],
        )
        for p in d["properties"]
    )


@dataclass(frozen=True)
class SoleResidenceProof:
    """唯一住宅证明: is this title the owner's only residential property?"""

    id_number: str
    cert_no: str
    sole: bool
    residential_count: int


@source(PROPERTY)
def sole_residence_proof(*, id_number: str, cert_no: str) -> SoleResidenceProof:
    """NotFound for an unknown certificate, Mismatch if the person does not own it."""
    d = call(
        PROPERTY,
        "sole-residence",
        {"id_number": normalize_id_number(id_number), "cert_no": normalize_property_cert_no(cert_no)},
    )
    return SoleResidenceProof(
        id_number=d["id_number"],
        cert_no=d["cert_no"],
        sole=bool(d["sole"]),
        residential_count=d["residential_count"],
    )


@dataclass(frozen=True)
class NoPropertyProof:
    """无房证明: ``owns_property`` False means the proof is issued (no residential title in the city)."""

    id_number: str
    owns_property: bool
    residential_count: int


@source(PROPERTY)
def no_property_proof(*, id_number: str) -> NoPropertyProof:
    """NotFound if the person is not registered (a proof is never issued for an unknown number)."""
    d = call(PROPERTY, "no-property", {"id_number": normalize_id_number(id_number)})
    return NoPropertyProof(
        id_number=d["id_number"],
        owns_property=bool(d["owns_property"]),
        residential_count=d["residential_count"],
    )


# --- 居住证, 租赁, 社保 ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidencePermit:
    id_number: str
    community_code: str
    address: str
    issued_date: date
    valid_until: date

    def valid_on(self, day: date) -> bool:
        return self.issued_date <= day <= self.valid_until


@source(RESIDENCE_PERMIT)
def residence_permit(*, id_number: str) -> ResidencePermit:
    d = call(RESIDENCE_PERMIT, "permit", {"id_number": normalize_id_number(id_number)})
    return ResidencePermit(
        id_number=d["id_number"],
        community_code=d["community_code"],
        address=d["address"],
        issued_date=date.fromisoformat(d["issued_date"]),
        valid_until=date.fromisoformat(d["valid_until"]),
    )


@dataclass(frozen=True)
class Lease:
    lease_no: str
    tenant_ids: tuple[str, ...]
    community_code: str
    address: str
    start_date: date
    end_date: date

    def valid_on(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


@source(LEASE)
def leases_by_tenant(*, id_number: str) -> tuple[Lease, ...]:
    d = call(LEASE, "by-tenant", {"id_number": normalize_id_number(id_number)})
    return tuple(
        Lease(
            lease_no=x["lease_no"],
            tenant_ids=tuple(x["tenant_ids"]),
            community_code=x["community_code"],
            address=x["address"],
            start_date=date.fromisoformat(x["start_date"]),
            end_date=date.fromisoformat(x["end_date"]),
        )
        for x in d["leases"]
    )


@dataclass(frozen=True)
class SocialInsurance:
    id_number: str
    city: str
    first_month: str  # YYYY-MM
    months_paid: int


@source(SOCIAL_INSURANCE)
def social_insurance(*, id_number: str) -> tuple[SocialInsurance, ...]:
    """Contribution records, one per city."""
    d = call(SOCIAL_INSURANCE, "records", {"id_number": normalize_id_number(id_number)})
    return tuple(_build(SocialInsurance, r) for r in d["records"])


# --- 出生, 婚姻 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BirthRecord:
    cert_no: str
    child_id: str
    mother_id: str | None
    father_id: str | None


@source(BIRTH, subject="child_id")
def birth_record(*, child_id: str, parent_id: str | None = None) -> BirthRecord:
    """The child's 出生医学证明; with ``parent_id``, Mismatch unless that person is named on it."""
    payload = {"child_id": normalize_id_number(child_id)}
    if parent_id:
        payload["parent_id"] = normalize_id_number(parent_id)
    return _build(BirthRecord, call(BIRTH, "record", payload))


@dataclass(frozen=True)
class MarriageRecord:
    cert_no: str
    party_ids: tuple[str, str]
    date: date
    status: str  # married | divorced


@source(MARRIAGE)
def marriages(*, id_number: str, spouse_id: str | None = None) -> tuple[MarriageRecord, ...]:
    """The person's marriage records; with ``spouse_id`` only those with that person (Mismatch if none)."""
    payload = {"id_number": normalize_id_number(id_number)}
    if spouse_id:
        payload["spouse_id"] = normalize_id_number(spouse_id)
    d = call(MARRIAGE, "records", payload)
    return tuple(
        MarriageRecord(
            cert_no=r["cert_no"],
            party_ids=tuple(r["party_ids"]),
            date=date.fromisoformat(r["date"]),
            status=r["status"],
        )
        for r in d["records"]
    )


# --- 学籍, 民政, 残联, 学历, 市场监管 --------------------------------------------------------------


@dataclass(frozen=True)
class StudentRecord:
    id_number: str
    school_code: str
    stage: str  # primary | junior
    grade: int
    status: str  # enrolled | suspended | graduated
    graduation_year: int

    @property
    def student_no(self) -> str:
        """学籍号 = "G" + ID number."""
        return f"G{self.id_number}"


@source(STUDENT)
def student_records(*, id_number: str) -> tuple[StudentRecord, ...]:
    d = call(STUDENT, "records", {"id_number": normalize_id_number(id_number)})
    return tuple(_build(StudentRecord, r) for r in d["records"])


@dataclass(frozen=True)
class WelfareRecord:
    id_number: str
    type: str  # dibao 低保 | tekun 特困 | dibian 低边
    valid_until: date


def _welfare(d: dict) -> tuple[WelfareRecord, ...]:
    return tuple(
        WelfareRecord(
            id_number=r["id_number"], type=r["type"], valid_until=date.fromisoformat(r["valid_until"])
        )
        for r in d["records"]
    )


@source(WELFARE)
def welfare_records(*, id_number: str) -> tuple[WelfareRecord, ...]:
    return _welfare(call(WELFARE, "records", {"id_number": normalize_id_number(id_number)}))


@source(WELFARE, subject="id_numbers", batch=True)
def welfare_records_batch(*, id_numbers: Iterable[str]) -> dict[str, tuple[WelfareRecord, ...]]:
    """批量比对 with civil affairs: every asked ID number → its 低保/特困/低边 records (empty: none)."""
    return _batch(WELFARE, id_numbers, _welfare)


@dataclass(frozen=True)
class DisabilityRecord:
    id_number: str
    level: int  # 1 (most severe) … 4


@source(DISABILITY)
def disability_record(*, id_number: str) -> DisabilityRecord:
    return _build(DisabilityRecord, call(DISABILITY, "record", {"id_number": normalize_id_number(id_number)}))


def _disability(entry: dict) -> DisabilityRecord | None:
    record = entry["record"]
    return None if record is None else _build(DisabilityRecord, record)


@source(DISABILITY, subject="id_numbers", batch=True)
def disability_records_batch(*, id_numbers: Iterable[str]) -> dict[str, DisabilityRecord | None]:
    """批量比对 with the disabled persons' federation: every asked ID number → its certificate, or None."""
    return _batch(DISABILITY, id_numbers, _disability)


@dataclass(frozen=True)
class Degree:
    cert_no: str
    id_number: str
    degree: str
    major: str
    institution: str
    year: int


@source(DEGREE)
def degrees(*, id_number: str) -> tuple[Degree, ...]:
    d = call(DEGREE, "records", {"id_number": normalize_id_number(id_number)})
    return tuple(_build(Degree, r) for r in d["records"])


@source(DEGREE)
def degree_verify(*, id_number: str, cert_no: str) -> Degree:
    """学历核验: NotFound for an unknown certificate, Mismatch if it was awarded to someone else."""
    return _build(
        Degree, call(DEGREE, "verify", {"id_number": normalize_id_number(id_number), "cert_no": cert_no})
    )


@dataclass(frozen=True)
class Enterprise:
    credit_code: str
    name: str
    legal_rep_id: str
    status: str  # active | revoked
    address: str

    @property
    def is_active(self) -> bool:
        return self.status == "active"


@source(ENTERPRISE, subject="credit_code")
def enterprise(*, credit_code: str, legal_rep_id: str | None = None) -> Enterprise:
    """The enterprise by 统一社会信用代码; with ``legal_rep_id``, Mismatch unless that is its legal rep."""
    payload = {"credit_code": normalize_credit_code(credit_code)}
    if legal_rep_id:
        payload["legal_rep_id"] = normalize_id_number(legal_rep_id)
    return _build(Enterprise, call(ENTERPRISE, "record", payload))


# --- 教师资格考试, 普通话, 体检, 教师任职 (teacher certificates and honours) -------------------------


@dataclass(frozen=True)
class TeacherExam:
    """教师资格考试合格证明: the national exam passed for one stage and subject, valid until a date."""

    cert_no: str
    id_number: str
    stage: str  # kindergarten | primary | junior | senior
    subject: str
    passed_on: date
    valid_until: date


@source(TEACHER_EXAM)
def teacher_exam_verify(*, id_number: str, cert_no: str) -> TeacherExam:
    """NotFound for an unknown certificate, Mismatch if it was issued to someone else."""
    d = call(TEACHER_EXAM, "verify", {"id_number": normalize_id_number(id_number), "cert_no": cert_no})
    return TeacherExam(
        cert_no=d["cert_no"],
        id_number=d["id_number"],
        stage=d["stage"],
        subject=d["subject"],
        passed_on=date.fromisoformat(d["passed_on"]),
        valid_until=date.fromisoformat(d["valid_until"]),
    )


# 普通话水平测试 levels, best first
MANDARIN_LEVELS = ("一级甲等", "一级乙等", "二级甲等", "二级乙等", "三级甲等", "三级乙等")


@dataclass(frozen=True)
class MandarinTest:
    cert_no: str
    id_number: str
    level: str  # one of MANDARIN_LEVELS

    def at_least(self, level: str) -> bool:
        """At or above ``level`` (一级甲等 is the best)."""
        return MANDARIN_LEVELS.index(self.level) <= MANDARIN_LEVELS.index(level)


@source(MANDARIN)
def mandarin_verify(*, id_number: str, cert_no: str) -> MandarinTest:
    """NotFound for an unknown certificate, Mismatch if it was issued to someone else."""
    d = call(MANDARIN, "verify", {"id_number": normalize_id_number(id_number), "cert_no": cert_no})
    if d["level"] not in MANDARIN_LEVELS:
        raise ValueError(f"unknown Mandarin level {d['level']!r}")
    return _build(MandarinTest, d)


@dataclass(frozen=True)
class MedicalReport:
    report_no: str
    id_number: str
    result: str  # fit | unfit
    date: date

    @property
    def fit(self) -> bool:
        return self.result == "fit"


@source(MEDICAL)
def medical_verify(*, id_number: str, report_no: str) -> MedicalReport:
    """The designated hospital's 体检结论; NotFound unknown, Mismatch if it is someone else's."""
    d = call(MEDICAL, "verify", {"id_number": normalize_id_number(id_number), "report_no": report_no})
    return MedicalReport(
        report_no=d["report_no"],
        id_number=d["id_number"],
        result=d["result"],
        date=date.fromisoformat(d["date"]),
    )


@dataclass(frozen=True)
class TeacherEmployment:
    """A teacher's service: the school, when it started and the months of breaks (中断) since."""

    id_number: str
    school_code: str
    service_start: date
    break_months: int
    name: str = ""


def _employment(d: dict) -> TeacherEmployment:
    return TeacherEmployment(
        id_number=d["id_number"],
        school_code=d["school_code"],
        service_start=date.fromisoformat(d["service_start"]),
        break_months=int(d["break_months"]),
        name=d.get("name", ""),
    )


@source(TEACHER_EMPLOYMENT)
def teacher_employment(*, id_number: str) -> TeacherEmployment:
    return _employment(call(TEACHER_EMPLOYMENT, "record", {"id_number": normalize_id_number(id_number)}))


@source(TEACHER_EMPLOYMENT, subject=None)
def teacher_roster(*, started_until: date) -> tuple[TeacherEmployment, ...]:
    """The bureau's roster of teachers whose service started on or before ``started_until``."""
    d = call(TEACHER_EMPLOYMENT, "started-until", {"started_until": started_until.isoformat()})
    return tuple(_employment(r) for r in d["records"])
