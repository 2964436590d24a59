"""/api/v1/studentstatus/suspensions|resumptions|corrections/ as contracts/api-services.md says (create
bodies, statuses, actions and who; the certificate through …/attachments/), and the guardian's pages, the
case page's upload and the staff queue."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.i18n import zh
from tests.studentstatus.leave_helpers import JPEG, PNG, no_archive_packages, pdf_upload  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_archive_packages")


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _act(user, kind, ref, action, **body):
    return _client(user).post(f"/api/v1/studentstatus/{kind}/{ref}/actions/{action}/", body, format="json")


def _upload(user, kind, ref, file_kind, data=None, name="诊断.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile(name, data if data is not None else pdf_upload().read())
    return _client(user).post(
        f"/api/v1/studentstatus/{kind}/{ref}/attachments/",
        {"file": file, "kind": file_kind},
        format="multipart",
    )


def test_suspension_and_resumption_through_the_api(family, staff):
    guardian = _client(family.guardian)
    bad = guardian.post(
        "/api/v1/studentstatus/suspensions/",
        {"student_id_number": family.child_id, "months": 24, "reason": "住院"},
        format="json",
    )
    assert bad.status_code == 400 and set(bad.json()) == {"months"}
    body = {"student_id_number": family.child_id, "months": 12, "reason": "肺炎住院，医嘱休养"}
    created = guardian.post("/api/v1/studentstatus/suspensions/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    ref = data["reference_no"]
    assert data["status"] == "submitted" and data["service"] == "SUS" and data["deadline"]
    assert data["months"] == 12 and {"checks", "next_step", "events", "documents"} <= set(data)
    assert data["checks"] == [{"name": "hospital_certificate", "result": "pending", "reason": ""}]
    assert guardian.post("/api/v1/studentstatus/suspensions/", body, format="json").status_code == 409
    assert _client(UserFactory()).get(f"/api/v1/studentstatus/suspensions/{ref}/").status_code == 404
    refused = _act(staff["P1"], "suspensions", ref, "approve")
    assert (
        refused.status_code == 409
        and zh("Upload the hospital certificate (医院诊断证明) first.") in (refused.json()["detail"])
    )
    assert (
        _upload(family.guardian, "suspensions", ref, "hospital_certificate", PNG, "x.png").status_code == 400
    )
    assert _upload(family.guardian, "suspensions", ref, "hospital_certificate").status_code == 201
    assert _act(family.guardian, "suspensions", ref, "approve").status_code == 403
    assert _act(staff["bureau"], "suspensions", ref, "approve").status_code == 403  # the school's step first
    assert _act(staff["P1"], "suspensions", ref, "approve", note="同意").status_code == 200
    done = _act(staff["bureau"], "suspensions", ref, "approve", note="同意")
    assert done.status_code == 200 and done.json()["status"] == "approved" and done.json()["ends_on"]
    assert _act(family.guardian, "suspensions", ref, "withdraw").status_code == 409
    records = guardian.get("/api/v1/studentstatus/records/").json()["results"]
    assert [r["status"] for r in records] == ["suspended"]
    # a suspended student cannot transfer
    transfer = guardian.post(
        "/api/v1/studentstatus/transfers/",
        {"student_id_number": family.child_id, "to_school_code": "P2", "reason": "搬家"},
        format="json",
    )
    assert transfer.status_code == 409

    resumed = guardian.post(
        "/api/v1/studentstatus/resumptions/", {"student_id_number": family.child_id}, format="json"
    )
    assert resumed.status_code == 201 and resumed.json()["status"] == "submitted"
    rref = resumed.json()["reference_no"]
    assert (
        _upload(family.guardian, "resumptions", rref, "medical_certificate", JPEG, "体检.jpg").status_code
        == 201
    )
    assert _act(staff["P1"], "resumptions", rref, "approve").status_code == 400  # the grade is required
    assert _act(staff["P1"], "resumptions", rref, "approve", grade=8).status_code == 400  # not primary
    assert _act(staff["P2"], "resumptions", rref, "approve", grade=4).status_code == 404  # not P2's case
    ok = _act(staff["P1"], "resumptions", rref, "approve", grade=4)
    assert ok.status_code == 200 and ok.json()["status"] == "approved" and ok.json()["grade"] == 4
    assert guardian.get(f"/api/v1/studentstatus/suspensions/{ref}/").json()["status"] == "ended"
    records = guardian.get("/api/v1/studentstatus/records/").json()["results"]
    assert [(r["status"], r["grade"]) for r in records] == [("enrolled", 4)]


def test_corrections_through_the_api(family, staff, django_capture_on_commit_callbacks):
    guardian = _client(family.guardian)
    id_change = guardian.post(
        "/api/v1/studentstatus/corrections/",
        {"student_id_number": family.child_id, "field": "id_number", "new_value": "330411201805010019"},
        format="json",
    )
    assert id_change.status_code == 400 and set(id_change.json()) == {"field"}
    family.load(name="王小明")
    with django_capture_on_commit_callbacks(execute=True):
        matched = guardian.post(
            "/api/v1/studentstatus/corrections/",
            {"student_id_number": family.child_id, "field": "name", "new_value": "王小明"},
            format="json",
        )
    assert matched.status_code == 201 and matched.json()["status"] == "verifying"  # checked after commit
    ref = matched.json()["reference_no"]
    data = guardian.get(f"/api/v1/studentstatus/corrections/{ref}/").json()
    assert data["status"] == "approved" and data["checks"][0]["result"] == "pass" and data["service"] == "XJG"
    with django_capture_on_commit_callbacks(execute=True):
        mismatched = guardian.post(
            "/api/v1/studentstatus/corrections/",
            {"student_id_number": family.child_id, "field": "gender", "new_value": "F"},
            format="json",
        )
    mref = mismatched.json()["reference_no"]
    school_view = _client(staff["P1"]).get(f"/api/v1/studentstatus/corrections/{mref}/").json()
    assert school_view["status"] == "needs_review" and school_view["registry_value"] == "M"
    assert school_view["actions"] == ["approve", "reject"]
    assert guardian.get(f"/api/v1/studentstatus/corrections/{mref}/").json()["registry_value"] == ""
    assert _act(family.guardian, "corrections", mref, "approve").status_code == 403
    assert _act(staff["P1"], "corrections", mref, "reject").status_code == 400  # a reason is required
    rejected = _act(staff["P1"], "corrections", mref, "reject", note="与户籍不符")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


def test_guardian_pages_the_upload_and_the_queue(family, staff, client):
    client.force_login(family.guardian)
    assert client.get(reverse("studentstatus:suspension_apply")).status_code == 200
    png = client.post(
        reverse("studentstatus:suspension_apply"),
        {"student_id_number": family.child_id, "months": 6, "reason": "住院", "file": _file(PNG, "a.png")},
    )
    assert (
        png.status_code == 400 and zh("The certificate must be a PDF or a JPEG file.") in png.content.decode()
    )
    page = client.post(
        reverse("studentstatus:suspension_apply"),
        {"student_id_number": family.child_id, "months": 6, "reason": "住院", "file": _file(JPEG, "a.jpg")},
    )
    assert page.status_code == 302, page.content.decode()
    case_url = page["Location"]
    assert zh("uploaded") in client.get(case_url).content.decode()
    again = client.post(
        reverse("studentstatus:suspension_apply"),
        {"student_id_number": family.child_id, "months": 6, "reason": "住院", "file": _file(JPEG, "a.jpg")},
    )
    assert again.status_code == 409
    upload = client.post(case_url, {"kind": "hospital_certificate", "file": _file(JPEG, "b.jpg")})
    assert upload.status_code == 302  # a second page of the certificate, on the case page
    assert client.get(reverse("studentstatus:correction_apply")).status_code == 200
    id_change = client.post(
        reverse("studentstatus:correction_apply"),
        {"student_id_number": family.child_id, "field": "name", "new_value": ""},
    )
    assert id_change.status_code == 200  # the form's own error: a value is required
    client.force_login(staff["P1"])
    queue = client.get(reverse("studentstatus:queue"), {"kind": "suspensions", "mine": "1"})
    ref = case_url.rstrip("/").split("/")[-1]
    assert ref in queue.content.decode()
    assert ref not in client.get(reverse("studentstatus:queue"), {"overdue": "1"}).content.decode()
    assert client.post(case_url, {"action": "approve", "note": "同意"}).status_code == 302
    client.force_login(staff["bureau"])
    assert ref in client.get(reverse("studentstatus:queue"), {"mine": "1"}).content.decode()


def _file(data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
