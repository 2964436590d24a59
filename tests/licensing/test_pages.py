"""The applicant's, the departments' and the bureau's pages, in Chinese; the departments see only what was
sent to them, with due dates and overdue flagged; the actions on the pages go through the services."""

import datetime as dt

import pytest

from licensing.models import ApplicationState as S
from licensing.models import DepartmentReview
from tests.licensing.conftest import KEY_MATERIALS

pytestmark = pytest.mark.django_db


def test_applicant_applies_uploads_and_sees_the_case(client, rep, district, departments, enterprise):
    client.force_login(rep)
    page = client.get("/licensing/apply/")
    assert page.status_code == 200 and "统一社会信用代码" in page.content.decode()
    data = {
        "kind": "establishment",
        "credit_code": "91350100M000100Y4Z",
        "school_name": "秀洲区启明𠈌学校",
        "level": "primary",
        "address": "浙江省嘉兴市秀洲区洪兴路 200 号",
        "capacity": 480,
    }
    bad = client.post("/licensing/apply/", data)
    assert bad.status_code == 200 and "统一社会信用代码为 18 位" in bad.content.decode()
    response = client.post("/licensing/apply/", {**data, "credit_code": "91110108551385082Q"})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "秀洲区启明𠈌学校" in html and "待受理" in html and "申办报告" in html


def test_department_queue_shows_due_dates_and_only_its_cases(client, accepted, reviewers, departments):
    application = accepted()
    review = application.reviews.get(department__code="FIRE")
    DepartmentReview.objects.filter(pk=review.pk).update(due_on=dt.date(2020, 1, 2))
    client.force_login(reviewers["FIRE"])
    html = client.get("/licensing/department/").content.decode()
    assert application.case.reference_no in html
    assert "2020-01-02" in html, html[html.find("<table") : html.find("</table>")]
    assert "已超期" in html
    page = client.get(f"/licensing/department/{application.case.reference_no}/")
    assert page.status_code == 200
    client.post(f"/licensing/department/{application.case.reference_no}/approve/", {"note": "同意"})
    review.refresh_from_db()
    assert review.state == "approved"


def test_department_does_not_see_cases_not_sent_to_it(client, apply, reviewers):
    application = apply()  # not accepted: no department has it
    client.force_login(reviewers["ENV"])
    assert application.case.reference_no not in client.get("/licensing/department/").content.decode()
    assert client.get(f"/licensing/department/{application.case.reference_no}/").status_code == 404


def test_bureau_accepts_with_rongque_on_its_page(client, apply, upload, bureau):
    application = apply()
    upload(application, *KEY_MATERIALS)
    client.force_login(bureau)
    assert application.case.reference_no in client.get("/licensing/bureau/").content.decode()
    html = client.get(f"/licensing/bureau/{application.case.reference_no}/").content.decode()
    assert "受理并启动联合审批" in html
    client.post(f"/licensing/bureau/{application.case.reference_no}/approve/", {"missing": ["校舍租赁合同"]})
    application.refresh_from_db()
    assert application.state == S.IN_JOINT_REVIEW and application.missing_materials == ["校舍租赁合同"]


def test_citizen_cannot_open_the_bureau_pages(client, rep):
    client.force_login(rep)
    assert client.get("/licensing/bureau/").status_code == 403
    assert client.get("/licensing/department/").status_code == 403


def test_public_pages_without_sign_in(client, db):
    assert client.get("/licensing/lists/").status_code == 200
    assert client.get("/licensing/inspections/").status_code == 200


def test_demo_lets_the_demo_parent_apply(db, settings, django_capture_on_commit_callbacks):
    """licensing_demo (called by seed_demo) loads what the demo parent needs to apply."""
    from django.core.management import call_command

    from licensing.models import ReviewDepartment
    from licensing.services import application_apply
    from portal.accounts.models import User
    from portal.catalog.registry import sync_catalog
    from portal.orgs.models import Department
    from tests.factories import DistrictFactory, UserFactory

    DistrictFactory(code="330411", name="秀洲区")
    for code in ("MARKET", "CIVIL", "FIRE", "ENV", "HOUSING"):
        Department.objects.create(code=code, name=code)
    sync_catalog()
    call_command("load_registry", "portal/core/demo/registry.json")  # the demo family (seed_demo does it)
    call_command("licensing_demo", district="330411")
    call_command("licensing_demo", district="330411")  # twice changes nothing
    assert ReviewDepartment.objects.filter(kind="establishment").count() == 5
    parent = User.objects.filter(phone="13800000001").first() or UserFactory(
        real_name="王𠈌", id_number="330411198803120318", phone="13800000001"
    )
    application = application_apply(
        applicant=parent,
        kind="establishment",
        credit_code="52330411MJ0000001E",
        school_name="嘉兴市秀洲区启明𠈌学校",
        level="primary",
        address="浙江省嘉兴市秀洲区新城街道洪兴路 200 号",
        capacity=360,
    )
    assert application.checks[0]["result"] == "pass"
