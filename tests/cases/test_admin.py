"""The admin: cases are view-only (no status dropdown, no delete) and scoped; the trace cannot be edited;
calendar days are editable; a rectification is closed through the service."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission

from portal.cases.models import CalendarDay, CaseEvent, RectificationStatus, RectificationTask
from portal.cases.services import case_log_event, case_rate
from portal.cases.workdays import is_workday
from tests.factories import CaseInStatusFactory, DistrictFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff(*codenames, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="cases", codename__in=codenames)
    )
    return user


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_case_pages_show_masked_id_and_offer_no_status_edit_or_delete(superuser_client):
    case = CaseInStatusFactory()
    case_log_event(case=case, action="note_added", note="已收件")
    listing = superuser_client.get("/admin/cases/case/", {"q": case.reference_no})
    assert listing.status_code == 200
    html = listing.content.decode()
    assert case.reference_no in html
    assert case.masked_subject_id in html and case.subject_id_number not in html

    page = superuser_client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="status"' not in html and case.subject_id_number not in html
    assert "已收件" in html  # the trace is shown inline
    assert (
        superuser_client.post(f"/admin/cases/case/{case.pk}/change/", {"status": "done"}).status_code == 403
    )
    assert superuser_client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"}).status_code == 403
    assert superuser_client.get("/admin/cases/case/add/").status_code == 403
    case.refresh_from_db()
    assert case.status == "submitted"


def test_events_cannot_be_added_changed_or_deleted_in_the_admin(superuser_client):
    event = case_log_event(case=CaseInStatusFactory(), action="note_added", note="原文")
    assert superuser_client.get("/admin/cases/caseevent/").status_code == 200
    assert superuser_client.get("/admin/cases/caseevent/add/").status_code == 403
    superuser_client.post(f"/admin/cases/caseevent/{event.pk}/change/", {"note": "改写"})
    assert (
        superuser_client.post(f"/admin/cases/caseevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    event.refresh_from_db()
    assert event.note == "原文"


def test_non_superusers_see_only_their_scope(client):
    d1, d2 = DistrictFactory(), DistrictFactory(code="330402", name="南湖区")
    mine, theirs = CaseInStatusFactory(district=d1), CaseInStatusFactory(district=d2, school=None)
    client.force_login(staff("view_case", role="bureau", district=d1, phone=None, id_number=""))
    html = client.get("/admin/cases/case/").content.decode()
    assert mine.reference_no in html and theirs.reference_no not in html
    assert client.get(f"/admin/cases/case/{theirs.pk}/change/").status_code == 302  # "not found" redirect


def test_bureau_staff_add_calendar_days(client):
    client.force_login(
        staff(
            "add_calendarday",
            "view_calendarday",
            "change_calendarday",
            role="bureau",
            district=DistrictFactory(),
            phone=None,
            id_number="",
        )
    )
    response = client.post(
        "/admin/cases/calendarday/add/", {"date": "2027-01-01", "is_workday": "", "note": "元旦"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=date(2027, 1, 1)).is_workday is False
    assert is_workday(date(2027, 1, 1)) is False


def test_closing_a_rectification_in_the_admin_goes_through_the_service(client):
    case = CaseInStatusFactory(done=True)
    case_rate(case=case, by=case.applicant, level=1, comment="态度差")
    task = RectificationTask.objects.get(case=case)
    bureau = staff(
        "view_rectificationtask",
        "change_rectificationtask",
        role="bureau",
        district=case.district,
        phone=None,
        id_number="",
    )
    client.force_login(bureau)
    url = f"/admin/cases/rectificationtask/{task.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and "态度差" in page.content.decode()

    refused = client.post(url, {"status": "done", "resolution": ""})
    assert refused.status_code == 200
    assert "resolution" in refused.context["adminform"].form.errors
    task.refresh_from_db()
    assert task.status == RectificationStatus.OPEN

    assert client.post(url, {"status": "done", "resolution": "已电话回访"}).status_code == 302
    task.refresh_from_db()
    assert (task.status, task.closed_by, task.resolution) == (RectificationStatus.DONE, bureau, "已电话回访")
    assert CaseEvent.objects.filter(case=case, action="rectification_closed", actor=bureau).exists()


def test_the_close_action_and_other_districts(client):
    case = CaseInStatusFactory(done=True)
    case_rate(case=case, by=case.applicant, level=2)
    task = RectificationTask.objects.get(case=case)
    RectificationTask.objects.filter(pk=task.pk).update(resolution="已整改")
    other = staff(
        "view_rectificationtask",
        "change_rectificationtask",
        role="bureau",
        district=DistrictFactory(code="330402", name="南湖区"),
        phone=None,
        id_number="",
    )
    client.force_login(other)
    changelist = "/admin/cases/rectificationtask/"
    client.post(changelist, {"action": "close_tasks", "_selected_action": [task.pk]})
    task.refresh_from_db()
    assert task.status == RectificationStatus.OPEN  # not in their scope

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post(changelist, {"action": "close_tasks", "_selected_action": [task.pk]})
    task.refresh_from_db()
    assert task.status == RectificationStatus.DONE
