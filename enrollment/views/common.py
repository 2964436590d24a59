"""What the enrollment pages share: who may open them, the labels of checks and states, and how fetched
evidence is shown to a family (presentation only — the rules live in ``enrollment.rules``)."""

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment import rules as R
from enrollment.models import EnrollmentRules, State
from exchange import sources as S
from exchange.checks import CheckResult
from portal.accounts.models import Role
from portal.cases import services as cases
from portal.cases.models import CaseStatus
from portal.cases.selectors import case_timeline
from portal.core import pii
from portal.core.views import role_required
from portal.orgs.models import Community, School, Stage

NOTICE_PDF_URL = "/api/v1/enrollment/applications/{ref}/notice.pdf"  # contracts/api-enrollment.md
REVIEW_ROLES = (Role.CLERK, Role.BUREAU)

CHECK_LABELS = {
    R.AGE: gettext_lazy("Age"),
    R.GUARDIANSHIP: gettext_lazy("You are the child's guardian"),
    R.OTHER_GUARDIAN: gettext_lazy("Other guardian"),
    R.STUDENT_STATUS: gettext_lazy("School record (学籍)"),
    R.RESIDENCE: gettext_lazy("Residence"),
    R.FAMILY_RECORDS: gettext_lazy("Family records (marriage and birth)"),
    R.CATEGORY: gettext_lazy("Admission tier"),
}
RELATION_LABELS = {
    "head": gettext_lazy("head of household"),
    "spouse": gettext_lazy("spouse"),
    "child": gettext_lazy("child"),
    "parent": gettext_lazy("parent"),
    "grandchild": gettext_lazy("grandchild"),
    "other": gettext_lazy("other"),
}
STUDENT_STATUS_LABELS = {
    "enrolled": gettext_lazy("enrolled"),
    "suspended": gettext_lazy("suspended"),
    "graduated": gettext_lazy("graduated"),
}
# which records are fetched from which registry, and why (the authorisation screen)
SOURCE_INFO = {
    S.HUKOU: (
        gettext_lazy("户籍 household registration"),
        gettext_lazy("name, date of birth, 户口簿 and address: the age, the family and the attendance zone"),
    ),
    S.BIRTH: (
        gettext_lazy("出生医学证明 birth record"),
        gettext_lazy("the parents it names: that you are the child's parent"),
    ),
    S.STUDENT: (
        gettext_lazy("学籍 student registry"),
        gettext_lazy("school records: whether the child may enter this stage"),
    ),
    S.PROPERTY: (
        gettext_lazy("不动产 real-estate registry"),
        gettext_lazy("homes owned (address, community, area, date): the attendance zone and tier"),
    ),
    S.RESIDENCE_PERMIT: (
        gettext_lazy("居住证 residence permit"),
        gettext_lazy("if you rent: the permit's community and dates (随迁子女 points)"),
    ),
    S.LEASE: (
        gettext_lazy("房屋租赁 registered lease"),
        gettext_lazy("if you rent: where and until when"),
    ),
    S.SOCIAL_INSURANCE: (
        gettext_lazy("社保 social insurance"),
        gettext_lazy("if you rent: months paid in the city (随迁子女 points)"),
    ),
    S.MARRIAGE: (
        gettext_lazy("婚姻登记 marriage record"),
        gettext_lazy("only if the guardians are on different 户口簿"),
    ),
}


def is_citizen(user) -> bool:
    return user.role == Role.CITIZEN and not user.is_superuser


def is_reviewer(user) -> bool:
    return user.role in REVIEW_ROLES or user.is_superuser


citizen_required = role_required(is_citizen, "Parents apply online; staff use the counter pages.")
reviewer_required = role_required(is_reviewer, "Only school clerks and bureau staff review applications.")


def open_years() -> list[int]:
    """Entry years with applications open in some district today (rules are per district and year;
    the district is known only once the child's 户籍 is fetched)."""
    today = cases.local_today()
    rows = EnrollmentRules.objects.filter(year__gte=today.year).filter(
        Q(apply_until__isnull=True) | Q(apply_until__gte=today)
    )
    return sorted(set(rows.values_list("year", flat=True)))


def stage_label(value: str) -> str:
    return str(Stage(value).label) if value in Stage.values else value


def state_label(value: str) -> str:
    """An enrollment state or a coarse case status, as a person reads it."""
    if value in State.values:
        return str(State(value).label)
    if value in CaseStatus.values:
        return str(CaseStatus(value).label)
    return value


def check_rows(checks) -> list[dict]:
    """Saved ``Check`` rows or preview ``Outcome``s, in order, with labels."""
    return [
        {
            "name": c.name,
            "label": CHECK_LABELS.get(c.name, c.name),
            "result": c.result,
            "result_label": CheckResult(c.result).label if c.result in CheckResult.values else c.result,
            "reason": c.reason,
        }
        for c in checks
    ]


def timeline_rows(case) -> list[dict]:
    return [
        {"entry": e, "from_label": state_label(e.from_state), "to_label": state_label(e.to_state)}
        for e in case_timeline(case)
    ]


def authorisation_list(*, with_other: bool = True) -> list[dict]:
    """The authorisation screen: per person, the registries and what each record is used for."""
    from enrollment import evidence

    people = [
        (_("The child"), evidence.CHILD_SOURCES),
        (_("You"), evidence.GUARDIAN_SOURCES),
    ]
    if with_other:
        people.append((_("The other guardian (unless single-parent)"), evidence.OTHER_GUARDIAN_SOURCES))
    return [
        {"who": who, "records": [{"source": SOURCE_INFO[s][0], "why": SOURCE_INFO[s][1]} for s in sources]}
        for who, sources in people
    ]


# --- the preview: what was fetched ----------------------------------------------------------------------


def _status(value) -> str:
    if isinstance(value, R.Missing):
        return "unavailable"
    if value is None or value == ():
        return "none"
    return "ok"


def _names(model, codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    return dict(model.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}


def preview_context(evidence: R.Evidence, assessment: R.Assessment) -> dict:
    """The evidence and checks of ``application_preview`` as the preview page shows them."""
    ev = evidence
    homes = R.owned_homes(ev)
    permit = ev.residence_permit if _status(ev.residence_permit) == "ok" else None
    leases = ev.leases if _status(ev.leases) == "ok" else ()
    child = ev.child if _status(ev.child) == "ok" else None
    household = ev.child_household if _status(ev.child_household) == "ok" else None
    codes = [h.community_code for h in homes] + [x.community_code for x in leases]
    codes += [getattr(child, "community_code", ""), getattr(permit, "community_code", "")]
    communities = _names(Community, codes)
    schools = _names(School, [assessment.zone_school, *[r.school_code for r in _records(ev)]])
    other = ev.other_guardian if _status(ev.other_guardian) == "ok" else None
    return {
        "child": child,
        "child_status": _status(ev.child),
        "child_community": communities.get(getattr(child, "community_code", ""), ""),
        "household": household,
        "household_status": _status(ev.child_household),
        "members": [
            {"name": m.name, "relation": RELATION_LABELS.get(m.relation, m.relation)}
            for m in (household.members if household else ())
        ],
        "guardian": ev.guardian if _status(ev.guardian) == "ok" else None,
        "other_guardian": other,
        "other_status": _status(ev.other_guardian),
        "single_parent": ev.single_parent,
        "different_booklets": R.guardians_on_different_booklets(ev),
        "birth": ev.birth if _status(ev.birth) == "ok" else None,
        "birth_status": _status(ev.birth),
        "marriages": [
            {"cert_no": m.cert_no, "date": m.date, "married": m.status == "married"}
            for m in (ev.marriages if _status(ev.marriages) == "ok" else ())
        ],
        "student_records": [
            {
                "school": schools.get(r.school_code) or _("a school outside this district"),
                "stage": stage_label(r.stage),
                "grade": r.grade,
                "status": STUDENT_STATUS_LABELS.get(r.status, r.status),
                "graduation_year": r.graduation_year,
            }
            for r in _records(ev)
        ],
        "student_status": _status(ev.student_records),
        "residence": ev.residence,
        "homes": [
            {
                "cert_no": h.cert_no,
                "address": h.address,
                "community": communities.get(h.community_code, ""),
                "area": h.area_m2,
                "registered": h.registered_date,
                "joint": len(h.owner_ids) > 1,
            }
            for h in homes
        ],
        "homes_status": _status(ev.properties) if _status(ev.properties) != "ok" or homes else "none",
        "sole_residence": ev.sole_residence,
        "sole_status": _status(ev.sole_residence),
        "no_property": ev.no_property,
        "no_property_status": _status(ev.no_property),
        "permit": permit,
        "permit_status": _status(ev.residence_permit),
        "permit_community": communities.get(getattr(permit, "community_code", ""), ""),
        "leases": [
            {
                "lease_no": x.lease_no,
                "address": x.address,
                "community": communities.get(x.community_code, ""),
                "start": x.start_date,
                "end": x.end_date,
            }
            for x in leases
        ],
        "leases_status": _status(ev.leases),
        "insurance": [] if _status(ev.social_insurance) != "ok" else list(ev.social_insurance),
        "insurance_status": _status(ev.social_insurance),
        "checks": check_rows(assessment.outcomes),
        "all_passed": assessment.all_passed,
        "any_unavailable": any(o.result == CheckResult.UNAVAILABLE for o in assessment.outcomes),
        "category": assessment.category,
        "points": assessment.points,
        "zone_school": schools.get(assessment.zone_school or "", ""),
    }


def _records(ev: R.Evidence):
    return ev.student_records if _status(ev.student_records) == "ok" else ()


def masked(value: str) -> str:
    return pii.mask_id(value)
