"""Reads: the rule set in force, an application visible to a user, review queues."""

from datetime import date

from django.db import transaction
from django.http import Http404

from enrollment import rules as R
from enrollment.models import Application, Criterion, EnrollmentRules, State, TierRule
from portal.cases.scoping import scope_cases
from portal.orgs.models import School, Stage

DEFAULT_TIERS = [
    ("A", "房户一致", [Criterion.HUKOU_AND_HOME_SAME_ZONE], False),
    ("B", "有户无房", [Criterion.HUKOU_IN_ZONE, Criterion.NO_HOME_IN_CITY], False),
    ("C", "有房无户", [Criterion.HOME_IN_ZONE], False),
    ("D", "随迁子女", [Criterion.RESIDENCE_PERMIT, Criterion.LEASE_OR_INSURANCE], True),
    ("E", "其他", [], False),
]
DEFAULT_AGES = {"kindergarten": (3, 4), "primary": (6, None), "junior": (11, None)}


@transaction.atomic
def ensure_default_rules(*, district, year: int, stage: str) -> EnrollmentRules:
    """The district's rules for the year and stage, created from DOMAIN.md's defaults if none exist yet
    (bureau staff then edit them in the admin)."""
    min_age, max_age = DEFAULT_AGES[stage]
    rules, created = EnrollmentRules.objects.get_or_create(
        district=district, year=year, stage=stage, defaults={"min_age": min_age, "max_age": max_age}
    )
    if created:
        TierRule.objects.bulk_create(
            TierRule(
                rules=rules, order=i, code=code, label=label, criteria=list(crit), ranked_by_points=points
            )
            for i, (code, label, crit, points) in enumerate(DEFAULT_TIERS, start=1)
        )
    return rules


def rule_set(rules: EnrollmentRules) -> R.RuleSet:
    zones: dict[str, str] = {}
    schools = School.objects.filter(district=rules.district, stage=rules.stage).prefetch_related("zone")
    for school in schools.order_by("code"):
        for community in school.zone.all():
            zones.setdefault(community.code, school.code)
    return R.RuleSet(
        year=rules.year,
        stage=rules.stage,
        min_age=rules.min_age,
        max_age=rules.max_age,
        cutoff=date(rules.year, rules.cutoff_month, rules.cutoff_day),
        area_per_person_m2=rules.area_per_person_m2,
        points_per_permit_month=rules.points_per_permit_month,
        points_per_insurance_month=rules.points_per_insurance_month,
        points_cap=rules.points_cap,
        insurance_city=rules.insurance_city,
        tiers=tuple(
            R.TierSpec(t.code, t.label, tuple(t.criteria), t.ranked_by_points)
            for t in rules.tiers.order_by("order")
        ),
        zones=zones,
        school_names=dict(School.objects.filter(district=rules.district).values_list("code", "name")),
    )


def applications_for_user(user):
    qs = Application.objects.select_related("case", "case__service", "zone_school", "school", "guardian")
    return scope_cases(user, qs, case_path="case")


def application_for_user(user, reference_no: str) -> Application:
    """The application if the user may see it; 404 otherwise, so a guessed reference reveals nothing."""
    application = applications_for_user(user).filter(case__reference_no=reference_no).first()
    if application is None:
        raise Http404("no such application")
    return application


def review_queue(user, *, state: str | None = None, stage: str | None = None, overdue_on: date | None = None):
    qs = applications_for_user(user).filter(
        state__in=[State.NEEDS_REVIEW, State.AWAITING_SUPPLEMENT] if state is None else [state]
    )
    if stage:
        qs = qs.filter(stage=stage)
    if overdue_on:
        qs = qs.filter(case__deadline__lt=overdue_on)
    return qs.order_by("case__deadline", "case__submitted_at")


def kindergarten_places(district=None):
    """The children with a kindergarten place (admitted, or qualified before the allocation ran), as
    payments bills them the monthly care fee (registered with payments.billing from the app's ready)."""
    from django.db.models import Q

    from payments.billing import BillableChild

    applications = Application.objects.filter(
        stage=Stage.KINDERGARTEN, state__in=(State.ADMITTED, State.QUALIFIED)
    ).filter(Q(school__isnull=False) | Q(zone_school__isnull=False))
    if district is not None:
        applications = applications.filter(case__district=district)
    applications = applications.select_related("case", "case__district", "guardian", "school", "zone_school")
    for application in applications.order_by("pk"):
        yield BillableChild(
            case=application.case,
            payer=application.guardian,
            subject_name=application.child_name,
            subject_id_number=application.child_id_number,
            subject_hash=application.child_id_hash,
            school=application.school or application.zone_school,
            entry_year=application.year,
        )
