"""The promised-time clock: paused while waiting on the applicant, resumed with the deadline moved by
exactly the working days paused; visits counted."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.cases.models import CaseEvent, ClockPause
from portal.cases.selectors import case_deadline_display
from portal.cases.services import (
    case_pause_clock,
    case_record_visit,
    case_resume_clock,
    case_transition,
)
from portal.cases.workflow import ActionNotAllowed
from portal.notify.models import Message
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(open_case, set_today):
    set_today(date(2026, 2, 9))  # Monday; 5 working days → Saturday 02-14 (make-up working day)
    case = open_case()
    assert case.deadline == date(2026, 2, 14)
    return case


def test_pause_and_resume_move_the_deadline_by_the_working_days_paused(case, clerk, set_today):
    set_today(date(2026, 2, 11))
    case_pause_clock(case=case, by=clerk, reason="请补充户口簿首页")
    assert case.paused_since == date(2026, 2, 11)
    assert case.deadline == date(2026, 2, 14)  # kept while paused …
    assert "2026-02-11" in case_deadline_display(case)  # … but the page says "paused since 02-11"

    set_today(date(2026, 2, 25))  # paused 11, 12, 13, Sat 14, 24 = 5 working days (15..23 holiday)
    case_resume_clock(case=case, by=case.applicant, note="已补充")
    assert case.paused_since is None
    assert case.paused_working_days == 5
    assert case.deadline == date(2026, 2, 28)  # 10 working days after 02-09: …, 24, 25, 26, 27, Sat 28
    assert case_deadline_display(case) == "2026-02-28"
    pause = ClockPause.objects.get(case=case)
    assert (pause.started_on, pause.ended_on, pause.working_days) == (date(2026, 2, 11), date(2026, 2, 25), 5)

    set_today(date(2026, 3, 2))  # a second pause: Monday to Tuesday = 1 working day
    case_pause_clock(case=case, by=clerk, reason="请补充出生证明")
    set_today(date(2026, 3, 3))
    case_resume_clock(case=case, by=clerk)
    assert case.paused_working_days == 6
    assert case.deadline == date(2026, 3, 2)

    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["submitted", "clock_paused", "clock_resumed", "clock_paused", "clock_resumed"]
    resumed = CaseEvent.objects.filter(case=case, action="clock_resumed").first()
    assert resumed.data == {"working_days": 5, "previous_deadline": "2026-02-14", "deadline": "2026-02-28"}
    subjects = list(Message.objects.filter(case=case).values_list("subject", flat=True))
    assert len(subjects) == 5  # received, and one per pause and per resume


def test_a_pause_and_resume_on_the_same_day_moves_nothing(case, clerk):
    case_pause_clock(case=case, by=clerk, reason="请核对姓名")
    case_resume_clock(case=case, by=clerk)
    assert (case.paused_working_days, case.deadline) == (0, date(2026, 2, 14))


def test_pausing_twice_or_resuming_a_running_clock_is_refused(case, clerk):
    with pytest.raises(ActionNotAllowed) as excinfo:
        case_resume_clock(case=case, by=clerk)
    assert excinfo.value.code == "running"
    case_pause_clock(case=case, by=clerk, reason="请补充材料")
    with pytest.raises(ActionNotAllowed) as excinfo:
        case_pause_clock(case=case, by=clerk, reason="再次暂停")
    assert excinfo.value.code == "paused" and case.reference_no in excinfo.value.messages[0]
    assert ClockPause.objects.filter(case=case).count() == 1


def test_only_handling_staff_pause_and_a_reason_is_required(case, clerk):
    with pytest.raises(PermissionDenied):
        case_pause_clock(case=case, by=case.applicant, reason="我想暂停")
    with pytest.raises(PermissionDenied):
        case_pause_clock(case=case, by=UserFactory(auditor=True, district=case.district), reason="x")
    with pytest.raises(ValidationError) as excinfo:
        case_pause_clock(case=case, by=clerk, reason=" ")
    assert "reason" in excinfo.value.message_dict
    case_pause_clock(case=case, by=clerk, reason="请补充材料")
    with pytest.raises(PermissionDenied):
        case_resume_clock(case=case, by=UserFactory())  # another citizen


def test_closing_a_paused_case_ends_the_pause(case, clerk, set_today):
    set_today(date(2026, 2, 11))
    case_pause_clock(case=case, by=clerk, reason="请补充材料")
    set_today(date(2026, 2, 13))
    case_transition(case=case, transition="reject", by=clerk, note="逾期未补正")
    pause = ClockPause.objects.get(case=case)
    assert (pause.ended_on, pause.working_days) == (date(2026, 2, 13), 2)
    assert (case.paused_since, case.paused_working_days) == (None, 2)
    with pytest.raises(ActionNotAllowed):
        case_pause_clock(case=case, by=clerk, reason="已办结")


def test_visits_are_counted(case, clerk):
    case_record_visit(case=case, by=clerk, note="窗口核验原件")
    case_record_visit(case=case, by=clerk)
    assert case.visits == 2
    assert list(
        CaseEvent.objects.filter(case=case, action="visit_recorded").values_list("data", flat=True)
    ) == [{"visits": 1}, {"visits": 2}]
    with pytest.raises(PermissionDenied):
        case_record_visit(case=case, by=case.applicant)
