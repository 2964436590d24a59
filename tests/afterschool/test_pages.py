"""The guardian's pages and the school's, in Chinese, through the services."""

import pytest

from afterschool.models import Application, State

pytestmark = pytest.mark.django_db


def test_guardian_applies_on_the_page_and_sees_the_case(
    client, world, family, django_capture_on_commit_callbacks
):
    fam = family()
    client.force_login(fam.guardian)
    page = client.get("/afterschool/")
    assert (
        page.status_code == 200
        and "课后托管" in page.content.decode()
        and "实验小学" in page.content.decode()
    )
    assert (
        client.post(
            f"/afterschool/programs/{world.program.pk}/apply/", {"student_id_number": "1", "slot": "16:30"}
        ).status_code
        == 400
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/afterschool/programs/{world.program.pk}/apply/",
            {"student_id_number": fam.child, "slot": "16:30"},
        )
    app = Application.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{app.case.reference_no}/")
    detail = client.get(response["Location"]).content.decode()
    assert "待学校审核" in detail and "调整离校时间" in detail


def test_school_reviews_and_sees_the_waitlist(
    client, world, family, apply, clerk, django_capture_on_commit_callbacks
):
    app = apply(family(), slot="17:30")
    apply(family(), slot="17:30")
    client.force_login(clerk)
    school = client.get("/afterschool/school/").content.decode()
    assert app.case.reference_no in school and "待审核" in school
    assert (
        "候补名单"
        in client.get(f"/afterschool/school/programs/{world.program.pk}/waitlist/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/afterschool/applications/{app.case.reference_no}/approve/")
    app.refresh_from_db()
    assert app.state == State.AWAITING_PAYMENT


def test_a_citizen_cannot_open_the_school_pages(client, family):
    client.force_login(family().guardian)
    assert client.get("/afterschool/school/").status_code == 403
