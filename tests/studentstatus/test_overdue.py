"""Each transfer step is due 10 working days after it started (the kernel's calendar, through the case's
restarted clock), for every step, not only the first; an overdue step is flagged in the queues and
messaged to the bureau once (the periodic sweep is idempotent), and the next step starts unflagged."""

import datetime as dt

import pytest
from django.urls import reverse

from portal.cases import services as case_services
from portal.cases.selectors import staff_queue
from portal.cases.workdays import add_working_days
from portal.notify.models import Message
from studentstatus.models import Transfer
from studentstatus.services.transfers import transfer_apply, transfer_approve, transfers_flag_overdue
from studentstatus.tasks import flag_overdue_steps
from tests.i18n import zh
from tests.studentstatus.conftest import TODAY


@pytest.fixture
def on(monkeypatch):
    def _on(day: dt.date) -> None:
        monkeypatch.setattr(case_services, "local_today", lambda: day)
        monkeypatch.setattr(case_services.common, "local_today", lambda: day)

    return _on


def _overdue_messages(user, transfer):
    return Message.objects.filter(
        recipient=user, case=transfer.case, subject__contains=zh("Transfer %(ref)s is overdue: %(step)s")
    )


def test_every_step_is_due_ten_working_days_after_it_started_and_flagged_once(family, staff, on, client):
    transfer = transfer_apply(
        guardian=family.guardian, student_id_number=family.child_id, to_school_code="P2", reason="搬家"
    )
    first_due = add_working_days(TODAY, 10)
    assert transfer.step_due == transfer.case.deadline == first_due

    on(first_due + dt.timedelta(days=1))
    assert transfers_flag_overdue() == 1
    assert transfers_flag_overdue() == 0 and flag_overdue_steps() == 0  # idempotent
    assert _overdue_messages(staff["bureau"], transfer).count() == 1
    assert not _overdue_messages(staff["other_bureau"], transfer).exists()
    client.force_login(staff["P2"])
    queue = client.get(reverse("studentstatus:queue")).content.decode()
    assert (
        transfer.case.reference_no in queue and zh("overdue") in queue and zh("bureau told %(day)s") in queue
    )

    second_start = first_due + dt.timedelta(days=2)
    on(second_start)
    transfer = transfer_approve(transfer=transfer, by=staff["P2"])
    second_due = add_working_days(second_start, 10)
    transfer = Transfer.objects.select_related("case").get(pk=transfer.pk)
    assert transfer.step_due == transfer.case.deadline == second_due
    assert transfer.overdue_flagged_on is None
    assert transfers_flag_overdue() == 0
    # the kernel's queue and "my cases" read the case's deadline: the new step is not overdue
    listed = staff_queue(staff["bureau"], today=second_start + dt.timedelta(days=3)).get(pk=transfer.case_id)
    assert listed.overdue == 1 and listed.deadline == second_due

    on(second_due + dt.timedelta(days=1))
    assert flag_overdue_steps() == 1  # the second step is flagged too
    assert transfers_flag_overdue() == 0
    assert _overdue_messages(staff["bureau"], transfer).count() == 2
    assert (
        staff_queue(staff["bureau"], today=second_due + dt.timedelta(days=1)).get(pk=transfer.case_id).overdue
        == 0
    )

    third_start = second_due + dt.timedelta(days=1)
    transfer = transfer_approve(transfer=Transfer.objects.get(pk=transfer.pk), by=staff["P1"])
    assert transfer.step_due == add_working_days(third_start, 10) == transfer.case.deadline
    actions = list(transfer.case.events.values_list("action", flat=True))
    assert actions.count("clock_restarted") == 2 and actions.count("studentstatus.step_overdue") == 2


def test_a_closed_transfer_is_never_flagged(family, staff, on):
    transfer = transfer_apply(
        guardian=family.guardian, student_id_number=family.child_id, to_school_code="P2", reason="搬家"
    )
    for who in ("P2", "P1", "bureau"):
        transfer = transfer_approve(transfer=transfer, by=staff[who])
    on(TODAY + dt.timedelta(days=60))
    assert transfers_flag_overdue() == 0
