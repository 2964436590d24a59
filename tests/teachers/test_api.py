"""/api/v1/teachers/ as contracts/api-services.md says, and the per-role transition table."""

import pytest
from rest_framework.test import APIClient

from portal.deliveries.models import Delivery
from sandbox import models as reg
from teachers.models import CertificateState
from tests.factories import UserFactory

from .conftest import form

pytestmark = pytest.mark.django_db
BASE = "/api/v1/teachers/certificates/"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def post(teacher, window, records, django_capture_on_commit_callbacks):
    def _post(user=None, **changes):
        with django_capture_on_commit_callbacks(execute=True):
            return as_user(user or teacher).post(BASE, form(**changes), format="json")

    return _post


def test_create_201_with_the_contracts_fields(post, teacher):
    response = post()
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "verifying"  # the checks run after commit, in the task
    body = as_user(teacher).get(f"{BASE}{response.json()['reference_no']}/").json()
    for key in ("reference_no", "service", "status", "checks", "deadline", "next_step", "events", "documents",
                "delivery", "stage", "subject", "exam_pass_no", "mandarin_cert_no", "medical_report_no",
                "delivery_address"):  # fmt: skip
        assert key in body
    assert body["status"] == "certificate_issued"
    assert {c["result"] for c in body["checks"]} == {"pass"}
    assert set(body["delivery"]) >= {"carrier", "tracking_no", "status"}
    assert body["events"][0].keys() == {"at", "action", "from", "to", "note"}


def test_create_400_403_409(post, bureau):
    assert post(stage="university").status_code == 400
    assert "stage" in post(stage="university").json()
    assert post(user=bureau).status_code == 403
    assert post().status_code == 201
    second = post()
    assert second.status_code == 409 and "JY-TCH-" in second.json()["detail"]


def test_list_and_detail_and_another_persons_case_is_404(post, teacher):
    ref = post().json()["reference_no"]
    listed = as_user(teacher).get(BASE).json()
    assert listed["count"] == 1 and listed["results"][0]["reference_no"] == ref
    assert as_user(teacher).get(f"{BASE}{ref}/").status_code == 200
    assert as_user(UserFactory()).get(f"{BASE}{ref}/").status_code == 404


@pytest.mark.parametrize(
    "role, action, expected",
    [
        ("bureau", "approve", 200),
        ("bureau", "reject", 200),
        ("teacher", "approve", 403),
        ("teacher", "reject", 403),
        ("other_bureau", "approve", 404),
        ("bureau", "withdraw", 404),
    ],
)
def test_actions_per_role_in_review(post, records, teacher, bureau, role, action, expected):
    reg.MedicalReport.objects.filter(pk=records["medical"].pk).update(result="unfit")
    ref = post().json()["reference_no"]
    from portal.orgs.models import District

    users = {
        "bureau": bureau,
        "teacher": teacher,
        "other_bureau": UserFactory(
            bureau=True, district=District.objects.create(code="330402", name="南湖区")
        ),
    }
    response = as_user(users[role]).post(f"{BASE}{ref}/actions/{action}/", {"note": "理由"}, format="json")
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["status"] == {"approve": "certificate_issued", "reject": "rejected"}[action]


@pytest.mark.parametrize("state_after", ["certificate_issued", "rejected"])
def test_actions_in_a_state_that_does_not_allow_them_are_409(post, records, bureau, state_after):
    if state_after == "rejected":
        reg.MedicalReport.objects.filter(pk=records["medical"].pk).update(result="unfit")
    ref = post().json()["reference_no"]
    client = as_user(bureau)
    if state_after == "rejected":
        assert (
            client.post(f"{BASE}{ref}/actions/reject/", {"note": "体检不合格"}, format="json").status_code
            == 200
        )
    for action in ("approve", "reject"):
        assert client.post(f"{BASE}{ref}/actions/{action}/", {"note": "x"}, format="json").status_code == 409


def test_reject_without_a_reason_is_400(post, records, bureau):
    reg.MedicalReport.objects.filter(pk=records["medical"].pk).update(result="unfit")
    ref = post().json()["reference_no"]
    assert as_user(bureau).post(f"{BASE}{ref}/actions/reject/", {}, format="json").status_code == 400


def test_the_certificates_qr_code_verifies(post, teacher):
    ref = post().json()["reference_no"]
    body = as_user(teacher).get(f"{BASE}{ref}/").json()
    (document,) = body["documents"]
    assert document["document"] == "teacher_certificate"
    code = document["verify_url"].rstrip("/").rsplit("/", 1)[1]
    verified = APIClient().get(f"/api/v1/verify/{code}/").json()
    assert verified["valid"] is True and verified["document"] == "teacher_certificate"
    assert verified["holder"] == "张*"


def test_honours_list_accept_and_detail(school, teacher, courier, django_capture_on_commit_callbacks):
    import datetime as dt

    from portal.invitations.services import invitations_run_finders

    reg.Person.objects.create(id_number=teacher.id_number, name=teacher.real_name, gender="M",
                              birth_date=dt.date(1970, 1, 1))  # fmt: skip
    reg.TeacherEmployment.objects.create(
        id_number=teacher.id_number, school_code=school.code, service_start=dt.date(1996, 3, 1)
    )
    invitations_run_finders(year=2026)
    client = as_user(teacher)
    listed = client.get("/api/v1/teachers/honours/").json()
    assert listed["count"] == 1
    offered = listed["results"][0]
    assert offered["status"] == "offered" and offered["reference_no"] is None
    url = f"/api/v1/teachers/honours/{offered['invitation']}/actions/accept/"
    assert client.post(url, {}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(url, {"delivery_address": "嘉兴市秀洲区洪兴路 1 号"}, format="json")
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert body["status"] == "issued" and body["delivery"]["status"] == "created"
    courier(Delivery.objects.get(case__reference_no=body["reference_no"]), "delivered")
    detail = client.get(f"/api/v1/teachers/honours/{body['reference_no']}/").json()
    assert detail["status"] == "delivered" and detail["delivery"]["status"] == "delivered"
    assert client.post(url, {"delivery_address": "嘉兴市秀洲区洪兴路 1 号"}, format="json").status_code == 409


def test_pages_render_in_chinese(post, teacher, bureau, client):
    ref = post().json()["reference_no"]
    client.force_login(teacher)
    assert client.get("/teachers/").status_code == 200
    assert client.get("/teachers/apply/").status_code == 200
    page = client.get(f"/teachers/certificates/{ref}/")
    assert page.status_code == 200
    trace = page.content.decode().split('class="timeline"', 1)[1]
    assert "教师资格证书已颁发" in trace and "已通过 → 证书已颁发" in trace  # the processing trace, labelled
    client.force_login(bureau)
    assert client.get("/teachers/review/?state=certificate_issued").status_code == 200
    assert client.get(f"/teachers/review/{ref}/").status_code == 200
    assert CertificateState.CERTIFICATE_ISSUED
