"""Entering the year's holidays (or make-up working days) as calendar days moves the deadline of every
running case whose window holds that day — through the real path: admin save → signal → on commit →
task — and writes it to each case's trace. Final and paused cases are left alone."""

from datetime import date

import pytest

from portal.cases.models import CalendarDay, Case, CaseEvent
from portal.cases.services import case_pause_clock, case_transition
from portal.cases.tasks import recompute_deadlines

pytestmark = pytest.mark.django_db

# 2027 is a year the pinned chinese_calendar does not know: Monday to Friday until the bureau says more.
MONDAY = date(2027, 3, 1)


@pytest.fixture
def opened(open_case, set_today):
    set_today(MONDAY)

    def _open():
        case = open_case()
        assert case.deadline == date(2027, 3, 8)  # 5 working days: Tue … Fri, Mon
        return case

    return _open


def deadline_events(case) -> list[dict]:
    return list(CaseEvent.objects.filter(case=case, action="deadline_changed").values_list("data", flat=True))


def test_a_holiday_inside_the_window_moves_the_deadline_and_is_traced(
    opened, clerk, django_capture_on_commit_callbacks
):
    running, paused, closed = opened(), opened(), opened()
    case_pause_clock(case=paused, by=clerk, reason="请补充材料")
    case_transition(case=closed, transition="start_processing", by=clerk)
    case_transition(case=closed, transition="complete", by=clerk)

    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=date(2027, 3, 3), is_workday=False, note="地方假日")

    assert Case.objects.get(pk=running.pk).deadline == date(2027, 3, 9)
    assert deadline_events(running) == [{"previous_deadline": "2027-03-08", "deadline": "2027-03-09"}]
    event = CaseEvent.objects.get(case=running, action="deadline_changed")
    assert "2027-03-03" in event.note and event.actor is None
    for untouched in (paused, closed):
        assert Case.objects.get(pk=untouched.pk).deadline == date(2027, 3, 8)
        assert deadline_events(untouched) == []


def test_a_make_up_working_day_pulls_the_deadline_in_and_removing_it_puts_it_back(
    opened, django_capture_on_commit_callbacks
):
    case = opened()
    with django_capture_on_commit_callbacks(execute=True):
        saturday = CalendarDay.objects.create(date=date(2027, 3, 6), is_workday=True, note="调休上班")
    assert Case.objects.get(pk=case.pk).deadline == date(2027, 3, 6)
    with django_capture_on_commit_callbacks(execute=True):
        saturday.delete()
    assert Case.objects.get(pk=case.pk).deadline == date(2027, 3, 8)
    assert [e["deadline"] for e in deadline_events(case)] == ["2027-03-06", "2027-03-08"]


def test_a_day_outside_the_window_or_a_second_run_changes_nothing(opened, django_capture_on_commit_callbacks):
    case = opened()
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=date(2027, 3, 10), is_workday=False)  # after the deadline
        CalendarDay.objects.create(date=date(2027, 3, 1), is_workday=False)  # the day it was accepted
    assert Case.objects.get(pk=case.pk).deadline == date(2027, 3, 8)
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=date(2027, 3, 2), is_workday=False)
    assert recompute_deadlines("2027-03-02") == 0  # already moved: running it again writes nothing
    assert len(deadline_events(case)) == 1


def test_nothing_is_queued_until_the_calendar_change_commits(opened, django_capture_on_commit_callbacks):
    case = opened()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        CalendarDay.objects.create(date=date(2027, 3, 4), is_workday=False)
    assert len(queued) == 1
    assert Case.objects.get(pk=case.pk).deadline == date(2027, 3, 8)  # not yet: the change may roll back


def test_moving_a_calendar_day_to_another_date_recomputes_both(opened, django_capture_on_commit_callbacks):
    case = opened()
    with django_capture_on_commit_callbacks(execute=True):
        row = CalendarDay.objects.create(date=date(2027, 3, 3), is_workday=False)
    assert Case.objects.get(pk=case.pk).deadline == date(2027, 3, 9)
    row.date = date(2027, 3, 12)  # entered on the wrong day: after the deadline, so no longer counts
    with django_capture_on_commit_callbacks(execute=True):
        row.save()
    assert Case.objects.get(pk=case.pk).deadline == date(2027, 3, 8)
