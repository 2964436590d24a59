"""The enrollment rules as pure functions over fetched evidence: no database, no network.

``evaluate(evidence, rules)`` returns one outcome per check (pass / fail / pending / unavailable with a
plain reason), and the tier, points, ranking date and zone school. Everything that varies by district and
year comes in through ``RuleSet`` (built from ``EnrollmentRules`` + ``TierRule`` rows).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from enrollment.models import Criterion, Residence
from exchange.checks import CheckResult

# check names (stable identifiers: they appear in the API)
AGE = "age"
GUARDIANSHIP = "guardianship"
OTHER_GUARDIAN = "other_guardian"
STUDENT_STATUS = "student_status"
RESIDENCE = "residence"
FAMILY_RECORDS = "family_records"
CATEGORY = "category"


@dataclass(frozen=True)
class TierSpec:
    code: str
    label: str
    criteria: tuple[str, ...]
    ranked_by_points: bool = False


@dataclass(frozen=True)
class RuleSet:
    year: int
    stage: str
    min_age: int
    max_age: int | None
    cutoff: date
    area_per_person_m2: Decimal
    points_per_permit_month: Decimal
    points_per_insurance_month: Decimal
    points_cap: Decimal
    insurance_city: str
    tiers: tuple[TierSpec, ...]
    zones: dict[str, str]  # community code → zone school code (this stage, this district)
    # school code → name (this district, every stage): reasons name schools, never show their codes
    school_names: dict[str, str] = field(default_factory=dict)


class Missing:
    """Evidence that could not be fetched because the registry is unavailable (not: does not exist)."""

    def __init__(self, source: str, reason: str = ""):
        self.source, self.reason = source, reason

    def __bool__(self):
        return False

    def __repr__(self):
        return f"Missing({self.source!r})"


@dataclass
class Evidence:
    """What the registries said. ``Missing`` marks a registry that could not answer."""

    today: date
    residence: str
    single_parent: bool
    child: object  # HukouPerson | Missing
    guardian: object  # HukouPerson | Missing
    child_household: object = None  # Household | Missing
    other_guardian: object = None  # HukouPerson | Missing | None
    birth: object = None  # BirthRecord | Missing | None (None: no record)
    marriages: object = ()  # tuple[MarriageRecord] | Missing
    student_records: object = ()  # tuple[StudentRecord] | Missing
    properties: object = ()  # tuple[Property] | Missing (residential, owned by either guardian)
    sole_residence: object = None  # SoleResidenceProof | Missing | None (not needed)
    no_property: object = None  # NoPropertyProof | Missing | None
    residence_permit: object = None  # ResidencePermit | Missing | None
    leases: object = ()  # tuple[Lease] | Missing
    social_insurance: object = ()  # tuple[SocialInsurance] | Missing
    facts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    name: str
    result: str
    reason: str
    source: str = ""


@dataclass
class Assessment:
    outcomes: list[Outcome]
    category: str = ""
    points: Decimal | None = None
    tie_date: date | None = None
    zone_school: str | None = None

    @property
    def all_passed(self) -> bool:
        return all(o.result == CheckResult.PASS for o in self.outcomes)

    def by_name(self, name: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.name == name), None)


def _unavailable(name: str, missing: Missing) -> Outcome:
    return Outcome(
        name,
        CheckResult.UNAVAILABLE,
        _("The %(source)s registry could not be reached; the portal will try again.")
        % {"source": missing.source},
        missing.source,
    )


def age_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# --- individual checks -----------------------------------------------------------------------------------


def check_age(ev: Evidence, rules: RuleSet) -> Outcome:
    if isinstance(ev.child, Missing):
        return _unavailable(AGE, ev.child)
    age = age_years(ev.child.birth_date, rules.cutoff)
    if age < rules.min_age:
        return Outcome(
            AGE,
            CheckResult.FAIL,
            _("The child is %(age)d on %(cutoff)s; entry needs %(min)d full years by that day.")
            % {"age": age, "cutoff": rules.cutoff.isoformat(), "min": rules.min_age},
            "hukou",
        )
    if rules.max_age is not None and age > rules.max_age:
        return Outcome(
            AGE,
            CheckResult.FAIL,
            _("The child is %(age)d on %(cutoff)s, older than the %(max)d years of this stage.")
            % {"age": age, "cutoff": rules.cutoff.isoformat(), "max": rules.max_age},
            "hukou",
        )
    return Outcome(
        AGE,
        CheckResult.PASS,
        _("Born %(born)s: %(age)d full years on %(cutoff)s.")
        % {"born": ev.child.birth_date.isoformat(), "age": age, "cutoff": rules.cutoff.isoformat()},
        "hukou",
    )


def child_belongs_to(ev: Evidence, guardian_id: str) -> bool | None:
    """True when the 户口簿 or the birth record ties the child to this guardian; None when unknown."""
    household = ev.child_household
    if household and not isinstance(household, Missing):
        member = household.member(guardian_id)
        if member is not None and member.relation in ("head", "spouse"):
            return True
    if (
        ev.birth
        and not isinstance(ev.birth, Missing)
        and guardian_id in (ev.birth.mother_id, ev.birth.father_id)
    ):
        return True
    if isinstance(household, Missing) or isinstance(ev.birth, Missing):
        return None
    return False


def check_guardianship(ev: Evidence, rules: RuleSet) -> Outcome:
    if isinstance(ev.guardian, Missing):
        return _unavailable(GUARDIANSHIP, ev.guardian)
    belongs = child_belongs_to(ev, ev.guardian.id_number)
    if belongs is None:
        return _unavailable(
            GUARDIANSHIP, ev.child_household if isinstance(ev.child_household, Missing) else ev.birth
        )
    if not belongs:
        return Outcome(
            GUARDIANSHIP,
            CheckResult.FAIL,
            _("Neither the household registry nor the birth record shows you as this child's parent."),
            "hukou",
        )
    return Outcome(
        GUARDIANSHIP, CheckResult.PASS, _("You are the child's guardian by 户籍 or birth record."), "hukou"
    )


def check_student_status(ev: Evidence, rules: RuleSet) -> Outcome:
    records = ev.student_records
    if isinstance(records, Missing):
        return _unavailable(STUDENT_STATUS, records)
    if rules.stage == "kindergarten":
        return Outcome(
            STUDENT_STATUS, CheckResult.PASS, _("No school record is needed for kindergarten."), "student"
        )
    live = [r for r in records if r.status in ("enrolled", "suspended")]
    if rules.stage == "primary":
        held = [r for r in live if r.stage == "primary"]
        if held:
            return Outcome(
                STUDENT_STATUS,
                CheckResult.FAIL,
                _("The child already holds a primary-school 学籍 (school %(school)s).")
                % {"school": school_name(rules, held[0].school_code)},
                "student",
            )
        return Outcome(
            STUDENT_STATUS, CheckResult.PASS, _("The child holds no primary-school 学籍 yet."), "student"
        )
    graduating = [
        r
        for r in records
        if r.stage == "primary" and r.graduation_year == rules.year and r.status in ("enrolled", "graduated")
    ]
    if not graduating:
        return Outcome(
            STUDENT_STATUS,
            CheckResult.FAIL,
            _("The student registry shows no primary school graduating this child in %(year)d.")
            % {"year": rules.year},
            "student",
        )
    return Outcome(
        STUDENT_STATUS,
        CheckResult.PASS,
        _("Graduating from primary school %(school)s in %(year)d.")
        % {"school": school_name(rules, graduating[0].school_code), "year": rules.year},
        "student",
    )


def _household_size(ev: Evidence) -> int:
    household = ev.child_household
    if household and not isinstance(household, Missing):
        return max(1, len(household.members))
    return 1


def zone_of(rules: RuleSet, community_code: str | None) -> str | None:
    return rules.zones.get(community_code or "")


def school_name(rules: RuleSet, school_code: str | None) -> str:
    """What a family reads for a school: its name. Codes are internal (issue 13 item 5)."""
    return rules.school_names.get(school_code or "") or _("a school outside this district")


def owned_homes(ev: Evidence) -> list:
    if isinstance(ev.properties, Missing):
        return []
    return [p for p in ev.properties if p.use == "residential"]


def decisive_home(ev: Evidence, rules: RuleSet):
    """The owned home the residence check rests on: one in an attendance zone if there is one."""
    homes = owned_homes(ev)
    in_zone = [h for h in homes if zone_of(rules, h.community_code)]
    return (in_zone or homes or [None])[0]


def needs_sole_residence_proof(ev: Evidence, rules: RuleSet) -> bool:
    """The 18 m² rule (configurable): area ÷ household members under the threshold."""
    home = decisive_home(ev, rules)
    if home is None:
        return False
    return Decimal(str(home.area_m2)) / _household_size(ev) < rules.area_per_person_m2


def check_residence(ev: Evidence, rules: RuleSet) -> Outcome:
    if ev.residence == Residence.OWNED:
        if isinstance(ev.properties, Missing):
            return _unavailable(RESIDENCE, ev.properties)
        home = decisive_home(ev, rules)
        if home is None:
            return Outcome(
                RESIDENCE,
                CheckResult.FAIL,
                _("The property registry shows no home owned by the guardians."),
                "property",
            )
        if isinstance(ev.child_household, Missing):
            # the 18 m² rule divides the area by the household: without the 户口簿 no home can pass it
            return _unavailable(RESIDENCE, ev.child_household)
        if ev.child_household is None:
            return Outcome(
                RESIDENCE,
                CheckResult.FAIL,
                _("The household registry has no 户口簿 for the child, so the area per person is unknown."),
                "hukou",
            )
        in_zone = zone_of(rules, home.community_code) is not None
        members = _household_size(ev)
        if needs_sole_residence_proof(ev, rules):
            proof = ev.sole_residence
            if isinstance(proof, Missing):
                return _unavailable(RESIDENCE, proof)
            if proof is None or not proof.sole:
                return Outcome(
                    RESIDENCE,
                    CheckResult.FAIL,
                    _(
                        "%(area)s m² for %(n)d people is under %(min)s m² each, "
                        "and the home is not the family's only one."
                    )
                    % {"area": home.area_m2, "n": members, "min": rules.area_per_person_m2},
                    "property",
                )
        if not in_zone:
            return Outcome(
                RESIDENCE,
                CheckResult.FAIL,
                _("The home at %(address)s is in no attendance zone of this district.")
                % {"address": home.address},
                "property",
            )
        return Outcome(
            RESIDENCE,
            CheckResult.PASS,
            _("Owned home %(cert)s, %(area)s m², in the zone of school %(school)s.")
            % {
                "cert": home.cert_no,
                "area": home.area_m2,
                "school": school_name(rules, zone_of(rules, home.community_code)),
            },
            "property",
        )
    if ev.residence == Residence.RENTED:
        permit, leases = ev.residence_permit, ev.leases
        if isinstance(permit, Missing):
            return _unavailable(RESIDENCE, permit)
        if isinstance(leases, Missing):
            return _unavailable(RESIDENCE, leases)
        if isinstance(ev.social_insurance, Missing):  # it counts towards the tier and the migrant points
            return _unavailable(RESIDENCE, ev.social_insurance)
        if permit is None or permit.valid_until < ev.today:
            return Outcome(
                RESIDENCE,
                CheckResult.FAIL,
                _("No valid residence permit (居住证) is registered."),
                "residence_permit",
            )
        current = [lease for lease in leases if lease.start_date <= ev.today <= lease.end_date]
        if not current:
            return Outcome(RESIDENCE, CheckResult.FAIL, _("No registered lease covers today."), "lease")
        lease = next((x for x in current if zone_of(rules, x.community_code)), current[0])
        if not zone_of(rules, lease.community_code):
            return Outcome(
                RESIDENCE,
                CheckResult.FAIL,
                _("The rented home is in no attendance zone of this district."),
                "lease",
            )
        return Outcome(
            RESIDENCE,
            CheckResult.PASS,
            _("Residence permit valid until %(until)s and lease %(lease)s in the zone of school %(school)s.")
            % {
                "until": permit.valid_until.isoformat(),
                "lease": lease.lease_no,
                "school": school_name(rules, zone_of(rules, lease.community_code)),
            },
            "lease",
        )
    proof = ev.no_property
    if isinstance(proof, Missing):
        return _unavailable(RESIDENCE, proof)
    if proof is None or proof.owns_property:
        return Outcome(
            RESIDENCE,
            CheckResult.FAIL,
            _("The property registry shows a home owned by the guardians; choose 'we own our home'."),
            "property",
        )
    child = ev.child
    if isinstance(child, Missing):
        return _unavailable(RESIDENCE, child)
    if not zone_of(rules, child.community_code):
        return Outcome(
            RESIDENCE,
            CheckResult.FAIL,
            _("No home is owned and the child's 户籍 is in no attendance zone."),
            "property",
        )
    return Outcome(
        RESIDENCE,
        CheckResult.PASS,
        _("No-property proof issued; the child's 户籍 address decides the zone."),
        "property",
    )


def check_other_guardian(ev: Evidence, rules: RuleSet) -> Outcome | None:
    if ev.single_parent:
        return None
    other = ev.other_guardian
    if other is None:
        return Outcome(
            OTHER_GUARDIAN,
            CheckResult.FAIL,
            _("The other guardian's ID number is needed unless the family is single-parent."),
            "hukou",
        )
    if isinstance(other, Missing):
        return _unavailable(OTHER_GUARDIAN, other)
    belongs = child_belongs_to(ev, other.id_number)
    if belongs is None:
        return _unavailable(OTHER_GUARDIAN, ev.birth if isinstance(ev.birth, Missing) else ev.child_household)
    if not belongs:
        return Outcome(
            OTHER_GUARDIAN,
            CheckResult.FAIL,
            _("The other guardian is not the child's parent by 户籍 or birth record."),
            "birth",
        )
    return Outcome(OTHER_GUARDIAN, CheckResult.PASS, _("The other guardian's 户籍 was found."), "hukou")


def guardians_on_different_booklets(ev: Evidence) -> bool:
    other = ev.other_guardian
    if ev.single_parent or other is None or isinstance(other, Missing) or isinstance(ev.guardian, Missing):
        return False
    return other.household_no != ev.guardian.household_no


def check_family_records(ev: Evidence, rules: RuleSet) -> Outcome | None:
    """Guardians not on one 户口簿: the birth record must name both; the marriage record is shown."""
    if not guardians_on_different_booklets(ev):
        return None
    if isinstance(ev.birth, Missing):
        return _unavailable(FAMILY_RECORDS, ev.birth)
    if isinstance(ev.marriages, Missing):
        return _unavailable(FAMILY_RECORDS, ev.marriages)
    ids = {ev.guardian.id_number, ev.other_guardian.id_number}
    if ev.birth is None or {ev.birth.mother_id, ev.birth.father_id} != ids:
        return Outcome(
            FAMILY_RECORDS,
            CheckResult.FAIL,
            _("The birth record does not name both guardians as parents."),
            "birth",
        )
    marriage = next((m for m in ev.marriages if set(m.party_ids) == ids), None)
    status = (
        _("married")
        if marriage and marriage.status == "married"
        else _("divorced")
        if marriage
        else _("not married")
    )
    return Outcome(
        FAMILY_RECORDS,
        CheckResult.PASS,
        _("Guardians on different 户口簿: the birth record names both; marriage record: %(status)s.")
        % {"status": status},
        "birth",
    )


# --- tiers and points ------------------------------------------------------------------------------------


def facts(ev: Evidence, rules: RuleSet) -> dict[str, bool]:
    child_zone = None if isinstance(ev.child, Missing) else zone_of(rules, ev.child.community_code)
    home_zones = {zone_of(rules, h.community_code) for h in owned_homes(ev)} - {None}
    permit = ev.residence_permit if not isinstance(ev.residence_permit, Missing) else None
    leases = () if isinstance(ev.leases, Missing) else ev.leases
    insurance = () if isinstance(ev.social_insurance, Missing) else ev.social_insurance
    no_home = (
        ev.no_property is not None
        and not isinstance(ev.no_property, Missing)
        and not ev.no_property.owns_property
    )
    return {
        Criterion.HUKOU_IN_ZONE: child_zone is not None,
        Criterion.HOME_IN_ZONE: bool(home_zones),
        Criterion.HUKOU_AND_HOME_SAME_ZONE: child_zone is not None and child_zone in home_zones,
        Criterion.NO_HOME_IN_CITY: no_home or (ev.residence != Residence.OWNED and not owned_homes(ev)),
        Criterion.HUKOU_ELSEWHERE: child_zone is None,
        Criterion.RESIDENCE_PERMIT: permit is not None
        and permit.valid_until >= ev.today
        and zone_of(rules, permit.community_code) is not None,
        Criterion.LEASE_OR_INSURANCE: any(x.start_date <= ev.today <= x.end_date for x in leases)
        or any(s.city == rules.insurance_city and s.months_paid > 0 for s in insurance),
    }


def migrant_points(ev: Evidence, rules: RuleSet) -> Decimal:
    """1 point (configurable) per full month of residence permit and per month of social insurance, capped."""
    points = Decimal(0)
    permit = ev.residence_permit
    if permit and not isinstance(permit, Missing):
        start, end = permit.issued_date, min(ev.today, permit.valid_until)
        months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
        points += max(0, months) * rules.points_per_permit_month
    insurance = () if isinstance(ev.social_insurance, Missing) else ev.social_insurance
    months_paid = sum(s.months_paid for s in insurance if s.city == rules.insurance_city)
    points += months_paid * rules.points_per_insurance_month
    return min(points, rules.points_cap)


def ranking_date(ev: Evidence, rules: RuleSet, tier: TierSpec) -> date | None:
    """Within a tier the earlier date ranks first: for 户籍 tiers the move-in date, for home tiers the
    registration date, for 房户一致 the later of the two (both had to hold)."""
    move_in = None if isinstance(ev.child, Missing) else ev.child.move_in_date
    homes = [h for h in owned_homes(ev) if zone_of(rules, h.community_code)]
    registered = min((h.registered_date for h in homes), default=None)
    uses_hukou = (
        Criterion.HUKOU_IN_ZONE in tier.criteria or Criterion.HUKOU_AND_HOME_SAME_ZONE in tier.criteria
    )
    uses_home = Criterion.HOME_IN_ZONE in tier.criteria or Criterion.HUKOU_AND_HOME_SAME_ZONE in tier.criteria
    dates = ([move_in] if uses_hukou and move_in else []) + ([registered] if uses_home and registered else [])
    if dates:
        return max(dates)
    permit = ev.residence_permit
    if permit and not isinstance(permit, Missing):
        return permit.issued_date
    return None


def decisive_zone(ev: Evidence, rules: RuleSet, tier: TierSpec) -> str | None:
    """The zone school: the owned home's zone for home tiers, the 户籍 zone, else the permit/lease zone."""
    if Criterion.HOME_IN_ZONE in tier.criteria or Criterion.HUKOU_AND_HOME_SAME_ZONE in tier.criteria:
        child_zone = None if isinstance(ev.child, Missing) else zone_of(rules, ev.child.community_code)
        zones = [zone_of(rules, h.community_code) for h in owned_homes(ev)]
        if child_zone in zones:
            return child_zone
        return next((z for z in zones if z), None)
    candidates = []
    if not isinstance(ev.child, Missing):
        candidates.append(zone_of(rules, ev.child.community_code))
    candidates += [zone_of(rules, h.community_code) for h in owned_homes(ev)]
    permit = ev.residence_permit
    if permit and not isinstance(permit, Missing):
        candidates.append(zone_of(rules, permit.community_code))
    if not isinstance(ev.leases, Missing):
        candidates += [zone_of(rules, x.community_code) for x in ev.leases]
    return next((z for z in candidates if z), None)


def classify(ev: Evidence, rules: RuleSet) -> tuple[TierSpec | None, dict[str, bool]]:
    known = facts(ev, rules)
    for tier in rules.tiers:
        if all(known.get(c, False) for c in tier.criteria):
            return tier, known
    return None, known


# --- the whole assessment --------------------------------------------------------------------------------


def evaluate(ev: Evidence, rules: RuleSet) -> Assessment:
    outcomes = [check_age(ev, rules), check_guardianship(ev, rules)]
    for optional in (check_other_guardian(ev, rules),):
        if optional is not None:
            outcomes.append(optional)
    outcomes += [check_student_status(ev, rules), check_residence(ev, rules)]
    family = check_family_records(ev, rules)
    if family is not None:
        outcomes.append(family)
    assessment = Assessment(outcomes=outcomes)
    if any(o.result == CheckResult.UNAVAILABLE for o in outcomes):
        return assessment  # no tier on partial evidence: never a silent pass
    tier, _known = classify(ev, rules)
    if tier is None:
        outcomes.append(
            Outcome(CATEGORY, CheckResult.FAIL, _("No admission tier applies; a clerk will review."), "")
        )
        return assessment
    assessment.category = tier.code
    assessment.tie_date = ranking_date(ev, rules, tier)
    assessment.zone_school = decisive_zone(ev, rules, tier)
    if tier.ranked_by_points:
        assessment.points = migrant_points(ev, rules)
    outcomes.append(
        Outcome(
            CATEGORY,
            CheckResult.PASS,
            _("Tier %(code)s: %(label)s.") % {"code": tier.code, "label": tier.label},
            "",
        )
    )
    return assessment
