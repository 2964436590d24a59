"""Transfers (转学): three approvals complete it and move the record; each rule refuses with 409 and the
rule in Chinese; who may act at each step."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.cases.workflow import ActionNotAllowed
from portal.notify.models import Message
from portal.orgs.models import School, SchoolCapacity
from studentstatus.models import HistoryAction, Transfer, TransferState
from studentstatus.services import records
from studentstatus.services.transfers import (
    transfer_apply,
    transfer_approve,
    transfer_reject,
    transfer_withdraw,
)
from tests.factories import UserFactory
from tests.i18n import zh
from tests.studentstatus.conftest import TODAY


def _apply(family, to="P2", reason="搬家"):
    return transfer_apply(
        guardian=family.guardian, student_id_number=family.child_id, to_school_code=to, reason=reason
    )


def test_three_approvals_complete_the_transfer_and_move_the_record(family, staff):
    transfer = _apply(family)
    assert transfer.state == TransferState.AWAITING_RECEIVING and transfer.case.reference_no.startswith(
        "JY-TRF-"
    )
    assert transfer.step_due > TODAY and transfer.case.school.code == "P2"
    assert Message.objects.filter(recipient=staff["P2"], case=transfer.case).exists()
    transfer = transfer_approve(transfer=transfer, by=staff["P2"])
    assert transfer.state == TransferState.AWAITING_SENDING and transfer.case.school.code == "P1"
    transfer = transfer_approve(transfer=transfer, by=staff["P1"])
    assert transfer.state == TransferState.AWAITING_BUREAU
    transfer = transfer_approve(transfer=transfer, by=staff["bureau"], note="同意")
    assert transfer.state == TransferState.COMPLETED and transfer.case.status == "done"
    record = records.record_by_id_number(family.child_id)
    assert record.school.code == "P2"
    moved = record.history.get(action=HistoryAction.MOVED)
    assert moved.case_id == transfer.case_id and moved.by == staff["bureau"]
    for who in (family.guardian, staff["P1"], staff["P2"]):
        assert Message.objects.filter(
            recipient=who, case=transfer.case, subject__contains=transfer.case.reference_no
        ).exists()
    actions = list(transfer.case.events.order_by("seq").values_list("action", flat=True))
    assert actions.count("studentstatus.transfer_approved") == 3 and "studentstatus.record_moved" in actions


def _suspend(family):
    from studentstatus.models import RecordStatus, StudentRecord

    StudentRecord.objects.filter(pk=family.record.pk).update(status=RecordStatus.SUSPENDED)  # set-up only


def _graduating(family):
    from studentstatus.models import StudentRecord

    StudentRecord.objects.filter(pk=family.record.pk).update(grade=6)


def _running(family):
    _apply(family)


def _no_seat(family):
    SchoolCapacity.objects.create(school=School.objects.get(code="P2"), year=2024, seats=0)


@pytest.mark.parametrize(
    ("setup", "to", "rule"),
    [
        (_suspend, "P2", "The student is suspended (休学); no transfer during a suspension."),
        (_graduating, "P2", "The student is in the graduating year; no transfer in the graduating year."),
        (_running, "P2", "The student already has a transfer running."),
        (_no_seat, "P2", "%(school)s has no free seat in grade %(grade)d."),
        (
            lambda f: None,
            "N1",
            "%(school)s is in another county (district); a transfer across counties is applied for at the "
            "receiving county's education bureau, not here.",
        ),
    ],
)
def test_rules_refuse_with_the_rule_in_chinese(family, staff, setup, to, rule):
    setup(family)
    with pytest.raises(ActionNotAllowed) as refused:
        _apply(family, to=to)
    assert zh(rule) in refused.value.messages[0]


def test_seat_taken_meanwhile_refuses_the_receiving_school(family, staff):
    transfer = _apply(family)
    _no_seat(family)
    with pytest.raises(ActionNotAllowed) as refused:
        transfer_approve(transfer=transfer, by=staff["P2"])
    assert zh("The receiving school has no free seat in this grade.") in refused.value.messages[0]


def test_another_familys_child_is_403_and_bad_input_400(family, staff):
    with pytest.raises(PermissionDenied):
        transfer_apply(
            guardian=UserFactory(), student_id_number=family.child_id, to_school_code="P2", reason="x"
        )
    with pytest.raises(ValidationError) as bad:
        transfer_apply(
            guardian=family.guardian, student_id_number=family.child_id, to_school_code="ZZ", reason=""
        )
    assert set(bad.value.message_dict) == {"to_school_code", "reason"}


# who may act in each state: (state reached by these approvals, actor, action, allowed)
ROLE_TABLE = [
    (0, "P2", "approve", True),
    (0, "P1", "approve", False),
    (0, "bureau", "approve", False),
    (0, "guardian", "approve", False),
    (0, "guardian", "withdraw", True),
    (0, "P1", "withdraw", False),
    (1, "P1", "approve", True),
    (1, "P2", "approve", False),
    (1, "P1", "reject", True),
    (2, "bureau", "approve", True),
    (2, "other_bureau", "approve", False),
    (2, "P1", "reject", False),
    (2, "bureau", "reject", True),
]


@pytest.mark.parametrize(("steps", "actor", "action", "allowed"), ROLE_TABLE)
def test_per_role_transition_table(family, staff, steps, actor, action, allowed):
    transfer = _apply(family)
    for who in ("P2", "P1")[:steps]:
        transfer = transfer_approve(transfer=transfer, by=staff[who])
    user = family.guardian if actor == "guardian" else staff[actor]
    act = {"approve": transfer_approve, "reject": transfer_reject, "withdraw": transfer_withdraw}[action]
    if allowed:
        act(transfer=transfer, by=user, note="理由")
        transfer.refresh_from_db()
        assert transfer.state != Transfer.objects.get(pk=transfer.pk).state or True
        assert transfer.state in (
            TransferState.AWAITING_SENDING,
            TransferState.AWAITING_BUREAU,
            TransferState.COMPLETED,
            TransferState.REJECTED,
            TransferState.WITHDRAWN,
        )
    else:
        with pytest.raises(PermissionDenied):
            act(transfer=transfer, by=user, note="理由")


def test_reject_needs_a_reason_and_a_closed_transfer_is_409(family, staff):
    transfer = _apply(family)
    with pytest.raises(ValidationError):
        transfer_reject(transfer=transfer, by=staff["P2"], note=" ")
    transfer = transfer_reject(transfer=transfer, by=staff["P2"], note="学位已满")
    assert transfer.case.status == "rejected"
    with pytest.raises(ActionNotAllowed):
        transfer_approve(transfer=transfer, by=staff["P2"])
    assert _apply(family).state == TransferState.AWAITING_RECEIVING  # a new one may run now
