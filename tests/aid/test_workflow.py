"""The school's review and the public notice, objections during the notice, the bureau's decision within
the budget, and the table of transitions allowed and forbidden per role."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from aid.models import AidApplication, AidState
from aid.selectors import budget_outlook
from aid.services import (
    application_approve,
    application_object,
    application_reject,
    applications_school_approve,
    applications_sweep,
    notice_entry_of,
)
from portal.cases import workflow
from portal.cases.workflow import ActionNotAllowed, perform
from portal.notices.models import Notice, Objection
from portal.notices.services import objection_answer
from tests.aid.conftest import end_notices

pytestmark = pytest.mark.django_db


def test_the_school_approves_and_publishes_one_notice(at_school, staff):
    apps = [at_school(), at_school()]
    notice = applications_school_approve(applications=apps, by=staff["P1"])
    assert notice.period_working_days == 5
    assert notice.entries.count() == 2
    for a in apps:
        a.refresh_from_db()
        assert a.state == AidState.IN_PUBLIC_NOTICE
        entry = notice_entry_of(a)
        assert entry.name.startswith("李") and "*" in entry.name
        assert entry.public == {"scheme": "家庭经济困难学生资助", "level": "一档", "year": a.scheme.year}


def test_changing_the_level_needs_a_reason(at_school, staff):
    application = at_school()
    with pytest.raises(ValidationError) as refused:
        application_approve(application=application, by=staff["P1"], level="2")
    assert "note" in refused.value.message_dict
    assert AidApplication.objects.get(pk=application.pk).state == AidState.AWAITING_SCHOOL
    application_approve(application=application, by=staff["P1"], level="2", note="低保已于下月到期，按二档")
    application.refresh_from_db()
    assert (application.level.level, application.amount_fen, application.proposed_level.level) == (
        "2",
        150000,
        "1",
    )
    assert application.case.events.filter(action="aid.level_changed").exists()


def test_no_level_proposed_the_school_sets_one(make_family, apply, staff):
    family = make_family()
    application = apply(family, declared=[], reason="")
    with pytest.raises(ActionNotAllowed):
        application_approve(application=application, by=staff["P1"])
    application_approve(application=application, by=staff["P1"], level="3", note="家访核实：父亲重病")
    application.refresh_from_db()
    assert application.state == AidState.IN_PUBLIC_NOTICE and application.level.level == "3"


def test_the_notice_running_holds_the_case_then_it_goes_to_the_bureau(at_school, staff):
    application = at_school()
    applications_school_approve(applications=[application], by=staff["P1"])
    applications_sweep()
    application.refresh_from_db()
    assert application.state == AidState.IN_PUBLIC_NOTICE
    end_notices()
    applications_sweep()
    application.refresh_from_db()
    assert application.state == AidState.AWAITING_BUREAU


def test_an_objection_during_the_notice_holds_the_case_until_the_bureau_answers(at_school, staff):
    application = at_school()
    applications_school_approve(applications=[application], by=staff["P1"])
    objection = application_object(
        application=application, by=staff["stranger"], text="该生家庭新购住房两套，并不困难。"
    )
    assert objection.entry.case_id == application.case_id
    end_notices()
    applications_sweep()
    application.refresh_from_db()
    assert application.state == AidState.IN_PUBLIC_NOTICE  # held by the open objection
    objection_answer(
        objection=objection, upheld=False, answer="经核实，住房为租赁，异议不成立。", by=staff["bureau"]
    )
    applications_sweep()
    application.refresh_from_db()
    assert application.state == AidState.AWAITING_BUREAU
    assert not application.objection_upheld


def test_an_upheld_objection_sends_the_case_to_the_bureau_with_the_answer(at_school, staff):
    application = at_school()
    applications_school_approve(applications=[application], by=staff["P1"])
    objection = application_object(
        application=application, by=staff["stranger"], text="该生家庭经营企业，收入较高。"
    )
    objection_answer(objection=objection, upheld=True, answer="异议成立：家庭经营企业。", by=staff["bureau"])
    application.refresh_from_db()
    assert application.state == AidState.AWAITING_BUREAU
    assert "家庭经营企业" in application.objection_upheld
    application_reject(application=application, by=staff["bureau"], note="公示异议成立，不予资助。")
    application.refresh_from_db()
    assert application.state == AidState.REJECTED


def test_no_objection_after_the_notice(at_school, staff):
    application = at_school()
    applications_school_approve(applications=[application], by=staff["P1"])
    end_notices()
    with pytest.raises(ActionNotAllowed):
        application_object(application=application, by=staff["stranger"], text="异议内容足够长的一段文字。")
    assert not Objection.objects.exists()


def test_the_bureau_approves_within_the_budget(at_bureau, staff):
    (application,) = at_bureau()
    application_approve(application=application, by=staff["bureau"])
    application.refresh_from_db()
    assert application.state == AidState.APPROVED and application.decided_at


def test_budget_exceeded_is_refused_with_the_amount_over(at_bureau, staff, scheme):
    first, second = at_bureau(n=2)
    scheme.budget_fen = 300000  # 3,000 元: one 一档 (2,500 元) fits, two do not
    scheme.save()
    application_approve(application=first, by=staff["bureau"])
    outlook = budget_outlook(AidApplication.objects.get(pk=second.pk))
    assert outlook["over_fen"] == 200000
    with pytest.raises(ActionNotAllowed) as refused:
        application_approve(application=second, by=staff["bureau"])
    assert "2000.00" in refused.value.messages[0] or "2,000.00" in refused.value.messages[0]
    second.refresh_from_db()
    assert second.state == AidState.AWAITING_BUREAU


def test_a_rejection_needs_a_reason(at_school, staff):
    application = at_school()
    with pytest.raises(ValidationError):
        application_reject(application=application, by=staff["P1"], note="")
    with pytest.raises(PermissionDenied):
        application_reject(application=application, by=staff["P2"], note="")


# --- the table: who may do what in which state -------------------------------------------------------------

OK, FORBIDDEN, REFUSED = "ok", 403, 409


@pytest.mark.parametrize(
    "state, action, who, expected",
    [
        ("awaiting_school", "approve", "P1", OK),
        ("awaiting_school", "approve", "P2", FORBIDDEN),
        ("awaiting_school", "approve", "bureau", FORBIDDEN),
        ("awaiting_school", "approve", "guardian", FORBIDDEN),
        ("awaiting_school", "reject", "P1", OK),
        ("awaiting_school", "reject", "bureau", FORBIDDEN),
        ("awaiting_school", "withdraw", "guardian", OK),
        ("awaiting_school", "withdraw", "stranger", FORBIDDEN),
        ("verifying", "withdraw", "guardian", OK),
        ("verifying", "approve", "bureau", REFUSED),
        ("verifying", "send_to_school", "P1", FORBIDDEN),
        ("in_public_notice", "approve", "bureau", REFUSED),
        ("in_public_notice", "withdraw", "guardian", REFUSED),
        ("in_public_notice", "close_notice", "bureau", FORBIDDEN),
        ("awaiting_bureau", "approve", "bureau", OK),
        ("awaiting_bureau", "approve", "P1", FORBIDDEN),
        ("awaiting_bureau", "reject", "bureau", OK),
        ("awaiting_bureau", "reject", "P1", FORBIDDEN),
        ("awaiting_bureau", "withdraw", "guardian", REFUSED),
        ("approved", "reject", "bureau", REFUSED),
        ("approved", "mark_paid", "guardian", FORBIDDEN),
        ("approved", "mark_paid", "bureau", OK),
        ("rejected", "approve", "bureau", REFUSED),
        ("paid", "reject", "bureau", REFUSED),
    ],
)
def test_transition_table(at_school, staff, state, action, who, expected):
    from django.utils import timezone

    application = at_school()
    family = application.family
    AidApplication.objects.filter(pk=application.pk).update(state=state)  # a factory-made state
    application = AidApplication.objects.get(pk=application.pk)
    by = family.guardian if who == "guardian" else staff[who]
    params = {"at": timezone.now()} if action in ("approve", "reject", "mark_paid") else {}
    if expected == OK:
        done = perform(application, action, by=by, note="依规办理", **params)
        assert done.state != state
        assert action in workflow.workflow_for(done).events
    else:
        error = PermissionDenied if expected == FORBIDDEN else ActionNotAllowed
        with pytest.raises(error):
            perform(application, action, by=by, note="依规办理", **params)
        assert AidApplication.objects.get(pk=application.pk).state == state


def test_the_notice_is_a_kernel_notice_of_aid(at_school, staff):
    application = at_school()
    applications_school_approve(applications=[application], by=staff["P1"])
    notice = Notice.objects.get()
    assert notice.service.code == "AID" and notice.school == application.school
