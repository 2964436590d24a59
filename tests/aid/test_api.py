"""/api/v1/aid/ as contracts/api-services.md says: create 201 / 400 / 403 / 409, another family's case 404,
actions per role (403 / 409), object during the notice, schemes public, invitations."""

import pytest
from rest_framework.test import APIClient

from aid.models import AidState
from aid.services import applications_school_approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def as_user(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return as_user


def create(api, family, scheme, capture, **changes):
    body = {"scheme_code": scheme.code, "student_id_number": family.child_id, "reason": "", **changes}
    with capture(execute=True):
        return api(family.guardian).post("/api/v1/aid/applications/", body, format="json")


def test_apply_201_with_the_case_shape(api, make_family, scheme, django_capture_on_commit_callbacks):
    family = make_family(welfare=["dibao"])
    response = create(api, family, scheme, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    body = response.json()
    for key in (
        "reference_no",
        "service",
        "status",
        "checks",
        "deadline",
        "next_step",
        "events",
        "documents",
    ):
        assert key in body
    assert body["service"] == "AID" and body["status"] == "verifying"
    assert family.child_id not in response.content.decode()
    detail = api(family.guardian).get(f"/api/v1/aid/applications/{body['reference_no']}/").json()
    assert detail["status"] == "awaiting_school" and detail["level"] == "1"
    assert {c["name"]: c["result"] for c in detail["checks"]}["welfare"] == "pass"


def test_bad_input_400_per_field(api, make_family, scheme, django_capture_on_commit_callbacks):
    family = make_family()
    response = create(
        api, family, scheme, django_capture_on_commit_callbacks, student_id_number="360426199101010072"
    )
    assert response.status_code == 400 and "student_id_number" in response.json()
    response = create(
        api, family, scheme, django_capture_on_commit_callbacks, scheme_code="NOPE", bank_account="12"
    )
    assert response.status_code == 400
    assert {"scheme_code", "bank_account"} <= set(response.json())


def test_double_application_409(api, make_family, scheme, django_capture_on_commit_callbacks):
    family = make_family(welfare=["dibao"])
    assert create(api, family, scheme, django_capture_on_commit_callbacks).status_code == 201
    second = create(api, family, scheme, django_capture_on_commit_callbacks)
    assert second.status_code == 409 and "detail" in second.json()


def test_not_the_guardian_403(api, make_family, scheme, django_capture_on_commit_callbacks):
    family, other = make_family(), make_family()
    family.guardian = other.guardian
    assert create(api, family, scheme, django_capture_on_commit_callbacks).status_code == 403


def test_another_familys_case_is_404_and_another_schools_too(api, at_school, staff, make_family):
    application = at_school()
    ref = application.case.reference_no
    stranger = make_family().guardian
    assert api(stranger).get(f"/api/v1/aid/applications/{ref}/").status_code == 404
    assert api(staff["P2"]).get(f"/api/v1/aid/applications/{ref}/").status_code == 404
    assert api(staff["P1"]).get(f"/api/v1/aid/applications/{ref}/").status_code == 200
    assert api(staff["P1"]).get("/api/v1/aid/applications/").json()["count"] == 1


def test_actions_school_then_bureau(api, at_school, staff, make_family):
    application = at_school()
    ref = application.case.reference_no
    url = f"/api/v1/aid/applications/{ref}/actions/"
    guardian = application.family.guardian
    assert api(guardian).post(url + "approve/", {}, format="json").status_code in (403, 404)
    assert api(staff["bureau"]).post(url + "approve/", {}, format="json").status_code == 403
    response = api(staff["P1"]).post(url + "approve/", {"level": "2"}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    response = api(staff["P1"]).post(url + "approve/", {"note": "按建议档次"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "in_public_notice"
    assert (
        api(staff["P1"]).post(url + "approve/", {}, format="json").status_code == 403
    )  # the bureau's step now
    # anyone signed in objects during the notice (the contract's `object`)
    objection = api(staff["stranger"]).post(
        url + "object/", {"note": "该生家庭条件较好，不符合资助条件。"}, format="json"
    )
    assert objection.status_code == 200, objection.content
    assert "student_id_number" not in objection.json()
    short = api(make_family().guardian).post(url + "object/", {"note": "短"}, format="json")
    assert short.status_code == 400 and "note" in short.json()
    assert api().post(url + "object/", {"note": "x" * 20}, format="json").status_code in (401, 403)


def test_reject_needs_a_note_400_and_the_guardian_withdraws(api, at_school, staff):
    application = at_school()
    url = f"/api/v1/aid/applications/{application.case.reference_no}/actions/"
    assert api(staff["P1"]).post(url + "reject/", {}, format="json").status_code == 400
    response = api(application.family.guardian).post(url + "withdraw/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert api(staff["P1"]).post(url + "nope/", {}, format="json").status_code == 404


def test_schemes_are_public(api, scheme):
    response = api().get("/api/v1/aid/schemes/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["code"] == scheme.code and row["status"] == "open" and row["stages"] == ["primary", "junior"]
    assert {"level": "1", "name": "一档", "amount": "2500.00"} in row["levels"]


def test_kindergarten_subsidy_defaults_to_200_yuan(world):
    import datetime as dt

    from aid.models import Scheme
    from aid.services import scheme_ensure_defaults

    today = dt.date.today()
    scheme = Scheme.objects.create(
        code="PH-T", name="普惠性幼儿园补助", kind="kindergarten", district=world, stages="kindergarten",
        year=today.year, opens_on=today, closes_on=today,
    )  # fmt: skip
    scheme_ensure_defaults(scheme=scheme)
    (level,) = scheme.levels.all()
    assert level.amount_fen == 20000
    assert scheme.rules.count() == 6


def test_invitations_list_and_accept(api, make_family, world, scheme):
    from portal.cases.services import case_open
    from portal.catalog.models import ServiceItem
    from portal.invitations.services import invitations_run_finders
    from studentstatus.models import StudentRecord

    family = make_family(welfare=["dibao"])
    case = case_open(
        service=ServiceItem.objects.get(code="ENR"), applicant=family.guardian,
        subject_name=family.child_name, subject_id_number=family.child_id, channel="online", district=world,
    )  # fmt: skip
    StudentRecord.objects.filter(pk=family.record.pk).update(source_case=case)
    invitations_run_finders()
    rows = api(family.guardian).get("/api/v1/aid/invitations/").json()["results"]
    assert len(rows) == 1 and rows[0]["status"] == "open"
    assert (
        api(make_family().guardian)
        .post(f"/api/v1/aid/invitations/{rows[0]['id']}/actions/accept/")
        .status_code
        == 404
    )
    accepted = api(family.guardian).post(f"/api/v1/aid/invitations/{rows[0]['id']}/actions/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    ref = accepted.json()["case"]
    detail = api(family.guardian).get(f"/api/v1/aid/applications/{ref}/").json()
    assert detail["status"] == AidState.AWAITING_SCHOOL and detail["invited"] is True


def test_pages_render(client, at_school, staff, scheme):
    application = at_school()
    ref = application.case.reference_no
    client.force_login(application.family.guardian)
    for url in ("/aid/", "/aid/apply/", f"/aid/a/{ref}/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/aid/school/").status_code == 403
    client.force_login(staff["P1"])
    for url in ("/aid/school/", "/aid/counter/", f"/aid/a/{ref}/"):
        assert client.get(url).status_code == 200, url
    response = client.post("/aid/school/", {"application": [application.pk]})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == AidState.IN_PUBLIC_NOTICE
    client.force_login(staff["bureau"])
    for url in ("/aid/bureau/", "/aid/batches/", "/aid/figures/", f"/aid/a/{ref}/"):
        assert client.get(url).status_code == 200, url
    export = client.get("/aid/figures/?format=xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_figures_count_per_scheme(at_bureau, staff, scheme):
    from aid.selectors import scheme_figures
    from aid.services import application_approve

    apps = at_bureau(n=2)
    application_approve(application=apps[0], by=staff["bureau"])
    (row,) = scheme_figures([scheme])
    assert (row["applied"], row["approved"], row["paid"], row["invited"]) == (2, 1, 0, 0)
    assert row["granted_fen"] == 250000 and row["budget_fen"] == scheme.budget_fen


def test_counter_application_by_the_schools_clerk(
    api, make_family, scheme, staff, django_capture_on_commit_callbacks
):
    family = make_family(welfare=["dibian"], guardian=False)
    body = {
        "scheme_code": scheme.code,
        "student_id_number": family.child_id,
        "guardian_id_number": family.parent_id,
        "reason": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api(staff["P1"]).post("/api/v1/aid/applications/", body, format="json")
    assert response.status_code == 201, response.content
    with django_capture_on_commit_callbacks(execute=True):
        other = api(staff["P2"]).post("/api/v1/aid/applications/", body, format="json")
    assert other.status_code in (403, 409)


def test_the_page_of_the_notice_flow(client, at_school, staff):
    application = at_school()
    applications_school_approve(applications=[application], by=staff["P1"])
    client.force_login(staff["stranger"])
    ref = application.case.reference_no
    assert client.get(f"/aid/a/{ref}/object/").status_code == 200
    response = client.post(f"/aid/a/{ref}/object/", {"note": "该生家庭条件较好，不符合资助条件。"})
    assert response.status_code == 302


def test_the_counter_page_takes_an_application_for_a_family(client, make_family, scheme, staff):
    family = make_family(welfare=["dibao"], guardian=False)
    client.force_login(staff["P1"])
    response = client.post(
        "/aid/counter/",
        {
            "scheme_code": scheme.code,
            "student_id_number": family.child_id,
            "guardian_id_number": family.parent_id,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from aid.models import AidApplication

    application = AidApplication.objects.get()
    assert application.case.channel == "counter" and application.guardian.id_number == family.parent_id


def test_the_bureau_sees_what_approval_would_exceed(client, at_bureau, staff, scheme):
    (application,) = at_bureau()
    scheme.budget_fen = 100000
    scheme.save()
    client.force_login(staff["bureau"])
    page = client.get(
        f"/aid/a/{application.case.reference_no}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "¥1,500.00" in page  # 2,500 元 asked, 1,000 元 budget
    queue = client.get("/aid/bureau/").content.decode()
    assert "¥1,500.00" in queue
