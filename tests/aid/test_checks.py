"""The automatic checks and the level each rule proposes (one table row per rule), a registry down,
one application per student, scheme and year."""

import datetime as dt

import pytest
from django.utils import timezone

from aid.models import AidState
from aid.services import applications_sweep
from portal.cases.workflow import ActionNotAllowed
from sandbox import models as reg

pytestmark = pytest.mark.django_db

YESTERDAY = (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def results(application) -> dict:
    return {c.name: c.result for c in application.checks.all()}


def reasons(application) -> dict:
    return {c.name: c.reason for c in application.checks.all()}


@pytest.mark.parametrize(
    "welfare, disability, declared, level",
    [
        (["dibao"], None, [], "1"),
        (["tekun"], None, [], "1"),
        (["dibian"], None, [], "3"),
        ([], 2, [], "2"),
        ([], None, ["orphan"], "1"),
        ([], None, ["other"], "3"),
        (["dibian"], 3, [], "2"),  # several: the highest amount wins
        ([("dibao", YESTERDAY)], None, [], None),  # an expired 低保 does not count
        ([], None, [], None),
    ],
    ids=["dibao", "tekun", "dibian", "disability", "orphan", "other", "highest-wins", "expired", "nothing"],
)
def test_each_rule_proposes_its_level_with_reasons(make_family, apply, welfare, disability, declared, level):
    family = make_family(welfare=welfare, disability=disability)
    application = apply(family, declared=declared, reason="父母双亡，由祖父母抚养" if declared else "")
    assert application.state == AidState.AWAITING_SCHOOL  # always the school's review, never 秒批
    assert (application.proposed_level.level if application.proposed_level else None) == level
    assert (application.level.level if application.level else None) == level
    assert results(application)["student"] == "pass"
    if level:
        assert results(application)["level"] == "pass"
        assert "→" in reasons(application)["level"]
    else:
        assert results(application)["level"] == "fail"
    if declared:
        assert results(application)["declared"] == "pending"


def test_the_rules_are_the_bureaus_to_change(make_family, apply, scheme):
    rule = scheme.rules.get(qualification="dibian")
    rule.level = scheme.levels.get(level="1")
    rule.save()
    assert apply(make_family(welfare=["dibian"])).proposed_level.level == "1"


def test_a_registry_down_waits_with_a_reason_then_goes_to_the_school(make_family, apply, settings):
    settings.AID_VERIFY_MAX_ATTEMPTS = 2
    reg.SourceFault.objects.create(source="welfare", error_rate=1.0, seed=1)
    family = make_family(welfare=["dibao"])
    application = apply(family)
    assert application.state == AidState.VERIFYING
    assert results(application)["welfare"] == "unavailable"
    assert (
        "school checks by hand" in reasons(application)["welfare"]
        or "人工" in reasons(application)["welfare"]
    )
    assert application.case.events.filter(action="aid.registry_waiting").exists()
    assert application.case.next_step  # the family sees why it waits

    # the sweep tries again: still down, attempts used up → the school, with no level (never a silent pass)
    later = timezone.now() + dt.timedelta(minutes=10)
    applications_sweep(now=later)
    application.refresh_from_db()
    assert application.state == AidState.AWAITING_SCHOOL
    assert results(application)["welfare"] == "unavailable"
    assert application.proposed_level is None


def test_a_registry_back_on_the_retry_proposes_the_level(make_family, apply):
    fault = reg.SourceFault.objects.create(source="welfare", error_rate=1.0, seed=1)
    application = apply(make_family(welfare=["dibao"]))
    assert application.state == AidState.VERIFYING
    fault.delete()
    applications_sweep(now=timezone.now() + dt.timedelta(minutes=10))
    application.refresh_from_db()
    assert application.state == AidState.AWAITING_SCHOOL
    assert application.proposed_level.level == "1"


def test_one_application_per_student_scheme_and_year(make_family, apply):
    family = make_family(welfare=["dibao"])
    first = apply(family)
    with pytest.raises(ActionNotAllowed) as refused:
        apply(family)
    assert first.case.reference_no in refused.value.messages[0]


def test_a_withdrawn_application_does_not_block_a_new_one(make_family, apply):
    from aid.services import application_withdraw

    family = make_family(welfare=["dibao"])
    first = apply(family)
    application_withdraw(application=first, by=family.guardian)
    assert apply(family).state == AidState.AWAITING_SCHOOL


def test_the_database_refuses_a_second_live_application(make_family, apply):
    from django.db import IntegrityError, transaction

    from aid.models import AidApplication

    family = make_family(welfare=["dibao"])
    first = apply(family)
    clone = AidApplication.objects.get(pk=first.pk)
    clone.pk = None
    clone.case = None
    from tests.factories import CaseFactory

    clone.case = CaseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_not_my_child_is_403(make_family, apply, staff):
    from django.core.exceptions import PermissionDenied

    family = make_family()
    other = make_family()
    family.guardian, _ = other.guardian, None
    family.child_id = make_family().child_id  # a child on someone else's 户口簿
    with pytest.raises(PermissionDenied):
        apply(family)
