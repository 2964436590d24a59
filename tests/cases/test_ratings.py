"""好差评: one rating per finished case, by its applicant; a 1 or 2 opens a rectification task due in 15
working days, which bureau staff of the district close; an overdue task is flagged once."""

import threading
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from portal.cases.models import CaseEvent, Rating, RectificationStatus, RectificationTask
from portal.cases.selectors import open_rectifications, overdue_rectifications
from portal.cases.services import case_rate, rectification_close
from portal.cases.tasks import flag_overdue_rectifications
from portal.cases.workflow import ActionNotAllowed
from portal.notify.models import Message
from tests.factories import CaseInStatusFactory, DistrictFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def done_case(district, school):
    return CaseInStatusFactory(done=True, district=district, school=school)


@pytest.mark.parametrize("trait", ["done", "rejected", "withdrawn"])
def test_a_finished_case_can_be_rated_once(trait):
    case = CaseInStatusFactory(**{trait: True})
    rating = case_rate(case=case, by=case.applicant, level=4, comment="办事很快")
    assert (rating.level, rating.comment) == (4, "办事很快")
    assert CaseEvent.objects.get(case=case, action="rated").data == {"level": 4}
    with pytest.raises(ActionNotAllowed) as excinfo:
        case_rate(case=case, by=case.applicant, level=5)
    assert excinfo.value.code == "rated"
    assert Rating.objects.get(case=case).level == 4


@pytest.mark.parametrize("trait", [{}, {"in_progress": True}])
def test_an_open_case_cannot_be_rated(trait):
    case = CaseInStatusFactory(**trait)
    with pytest.raises(ActionNotAllowed):
        case_rate(case=case, by=case.applicant, level=5)
    assert not Rating.objects.exists()


def test_only_the_applicant_rates(done_case, clerk, bureau):
    for someone in (UserFactory(), clerk, bureau, None):
        with pytest.raises(PermissionDenied):
            case_rate(case=done_case, by=someone, level=5)
    assert not Rating.objects.exists()


@pytest.mark.parametrize("level", [0, 6, -1, None, "", "5 stars", 2.5, True])
def test_a_level_outside_1_to_5_is_a_field_error(done_case, level):
    with pytest.raises(ValidationError) as excinfo:
        case_rate(case=done_case, by=done_case.applicant, level=level)
    assert "level" in excinfo.value.message_dict
    assert not Rating.objects.exists()


@pytest.mark.parametrize(("level", "opens_task"), [(1, True), (2, True), (3, False), (4, False), (5, False)])
def test_a_low_rating_opens_a_rectification_due_in_15_working_days(
    done_case, bureau, set_today, level, opens_task
):
    other_bureau = UserFactory(bureau=True, district=DistrictFactory(code="330402", name="南湖区"))
    # Rated Tuesday 2026-02-10. 15 working days: 11, 12, 13, Sat 14 (make-up), [15..23 Spring Festival],
    # 24, 25, 26, 27, Sat 28 (make-up), 03-02, 03, 04, 05, 06, 09 → due Monday 2026-03-09.
    set_today(date(2026, 2, 10))
    rating = case_rate(case=done_case, by=done_case.applicant, level=level, comment="等了很久")
    tasks = RectificationTask.objects.filter(case=done_case)
    if opens_task:
        (task,) = tasks
        assert (task.rating, task.due_on, task.status) == (rating, date(2026, 3, 9), RectificationStatus.OPEN)
        event = CaseEvent.objects.get(case=done_case, action="rectification_opened")
        assert event.data == {"task": task.pk, "level": level, "due_on": "2026-03-09"}
        (message,) = Message.objects.filter(recipient=bureau)
        assert done_case.reference_no in message.subject and "2026-03-09" in message.subject
        assert list(open_rectifications(bureau.district)) == [task]
    else:
        assert not tasks.exists()
        assert not Message.objects.filter(recipient=bureau).exists()
    assert not Message.objects.filter(recipient=other_bureau).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ratings_give_one_rating(district, school):
    case = CaseInStatusFactory(done=True, district=district, school=school)
    barrier, outcomes = threading.Barrier(2), []

    def rate(level):
        try:
            barrier.wait()
            case_rate(case=case, by=case.applicant, level=level)
            outcomes.append("rated")
        except ActionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=rate, args=(level,)) for level in (1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["rated", "refused"]
    assert Rating.objects.filter(case=case).count() == 1


def test_bureau_staff_of_the_district_close_a_rectification(done_case, bureau, clerk):
    case_rate(case=done_case, by=done_case.applicant, level=1)
    task = RectificationTask.objects.get(case=done_case)
    for someone in (
        clerk,
        done_case.applicant,
        UserFactory(bureau=True, district=DistrictFactory(code="330402")),
    ):
        with pytest.raises(PermissionDenied):
            rectification_close(task=task, by=someone, resolution="已约谈")
    with pytest.raises(ValidationError) as excinfo:
        rectification_close(task=task, by=bureau, resolution="  ")
    assert "resolution" in excinfo.value.message_dict

    rectification_close(task=task, by=bureau, resolution="已约谈窗口人员并电话回访")
    assert (task.status, task.closed_by, task.resolution) == (
        RectificationStatus.DONE,
        bureau,
        "已约谈窗口人员并电话回访",
    )
    assert CaseEvent.objects.get(case=done_case, action="rectification_closed").actor == bureau
    assert Message.objects.filter(recipient=done_case.applicant, case=done_case).exists()
    with pytest.raises(ActionNotAllowed):
        rectification_close(task=task, by=bureau, resolution="再次关闭")
    assert not open_rectifications(bureau.district).exists()


def test_an_overdue_rectification_is_flagged_once(done_case, bureau, set_today):
    set_today(date(2026, 2, 10))
    case_rate(case=done_case, by=done_case.applicant, level=2)
    task = RectificationTask.objects.get(case=done_case)
    assert task.due_on == date(2026, 3, 9)

    set_today(date(2026, 3, 9))  # due today: not overdue yet
    assert flag_overdue_rectifications.apply().get() == 0
    set_today(date(2026, 3, 10))
    assert list(overdue_rectifications(date(2026, 3, 10))) == [task]
    before = Message.objects.filter(recipient=bureau).count()
    assert flag_overdue_rectifications.apply().get() == 1
    assert flag_overdue_rectifications.apply().get() == 0  # idempotent: a second run sends nothing
    assert Message.objects.filter(recipient=bureau).count() == before + 1
    assert CaseEvent.objects.filter(case=done_case, action="rectification_overdue").count() == 1

    rectification_close(task=task, by=bureau, resolution="已整改")
    set_today(date(2026, 4, 1))
    assert flag_overdue_rectifications.apply().get() == 0
