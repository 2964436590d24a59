"""Restarting the promised clock at a new step (case_restart_clock): a case handled in steps that are each
promised the same working days (a transfer: receiving school, sending school, bureau) is due that many
working days after the step started — on the kernel's calendar, with later calendar changes and pauses
counted from the restart, not from the day the case was accepted."""

from datetime import date

import pytest

from portal.cases.models import CalendarDay, CaseEvent
from portal.cases.services import (
    case_pause_clock,
    case_recompute_deadline,
    case_restart_clock,
    case_resume_clock,
    case_transition,
)
from portal.cases.workflow import ActionNotAllowed

pytestmark = pytest.mark.django_db

MONDAY = date(2027, 3, 1)  # 2027: Monday to Friday until the bureau enters calendar days


@pytest.fixture
def case(open_case, set_today):
    set_today(MONDAY)
    case = open_case()
    assert case.deadline == date(2027, 3, 8)  # 5 working days
    return case


def test_restart_counts_the_promised_days_from_the_new_step(case, set_today):
    set_today(date(2027, 3, 4))  # Thursday: the second step starts
    case_restart_clock(case=case, note="转出学校审核")
    assert case.clock_started_on == date(2027, 3, 4)
    assert case.deadline == date(2027, 3, 11)  # Fri, Mon, Tue, Wed, Thu
    event = CaseEvent.objects.get(case=case, action="clock_restarted")
    assert event.note == "转出学校审核" and event.data == {
        "since": "2027-03-04",
        "previous_deadline": "2027-03-08",
        "deadline": "2027-03-11",
    }
    set_today(date(2027, 3, 9))  # a third step
    case_restart_clock(case=case)
    assert case.deadline == date(2027, 3, 16)


def test_calendar_changes_and_pauses_after_a_restart_count_from_the_restart(case, clerk, set_today):
    set_today(MONDAY)
    case_pause_clock(case=case, by=clerk, reason="请补充材料")  # a pause in the first step …
    set_today(date(2027, 3, 3))
    case_resume_clock(case=case, by=clerk)
    assert case.paused_working_days == 2 and case.deadline == date(2027, 3, 10)
    set_today(date(2027, 3, 4))
    case_restart_clock(case=case)
    assert case.deadline == date(2027, 3, 11)  # … is not carried into the next step

    CalendarDay.objects.create(date=date(2027, 3, 9), is_workday=False, note="地方假日")
    assert case_recompute_deadline(case=case) is True
    case.refresh_from_db()
    assert case.deadline == date(2027, 3, 12)  # recomputed from the restart, not from accepted_on

    set_today(date(2027, 3, 10))
    case_pause_clock(case=case, by=clerk, reason="请补充材料")
    set_today(date(2027, 3, 11))
    case_resume_clock(case=case, by=clerk)
    assert case.deadline == date(2027, 3, 15)  # one working day paused in this step
    assert case.paused_working_days == 3  # the total is kept for the record


def test_restart_is_refused_for_a_closed_or_paused_case(case, clerk, set_today):
    case_pause_clock(case=case, by=clerk, reason="请补充材料")
    with pytest.raises(ActionNotAllowed):
        case_restart_clock(case=case)
    case_resume_clock(case=case, by=clerk)
    case_transition(case=case, transition="complete", by=clerk)
    with pytest.raises(ActionNotAllowed):
        case_restart_clock(case=case)
    assert not CaseEvent.objects.filter(case=case, action="clock_restarted").exists()
