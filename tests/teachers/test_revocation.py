"""The issued certificate in the kernel's documents registry: its QR code verifies it, the bureau revokes
it with a reason (service, staff page, admin action) and verification then says revoked; the holder is
told; a revoked certificate can no longer be downloaded."""

import subprocess

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from portal.cases.workflow import ActionNotAllowed
from portal.documents.models import DocumentStatus, IssuedDocument
from portal.notify.models import Message
from sandbox import models as reg
from teachers.documents import bureau_date
from teachers.models import CertificateState
from teachers.services import certificate_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def document_of(application) -> IssuedDocument:
    return IssuedDocument.objects.get(kind="teacher_certificate", subject_key=application.subject_key)


def verify(document) -> dict:
    response = APIClient().get(f"/api/v1/verify/{document.code}/")
    assert response.status_code == 200
    return response.json()


def test_the_issued_certificate_verifies_with_the_contracts_fields(apply):
    application = apply()
    document = document_of(application)
    assert verify(document) == {
        "valid": True,
        "document": "teacher_certificate",
        "holder": "张*",
        "issued_on": bureau_date(application.decided_at).isoformat(),
        "status": "valid",
    }
    assert document.facts["certificate_no"] == application.certificate_no
    assert document.case_id == application.case_id


def qr_of(pdf: bytes, tmp_path) -> str:
    """The QR code printed on the PDF, decoded (pdftoppm + zbarimg, as tests/documents do)."""
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", tmp_path / "c.pdf", tmp_path / "c"], check=True
    )
    return subprocess.run(
        ["zbarimg", "--raw", "-q", tmp_path / "c.png"], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_the_pdfs_qr_code_carries_the_verify_address(apply, client, teacher, tmp_path, settings):
    application = apply()
    client.force_login(teacher)
    pdf = client.get(f"/api/v1/teachers/certificates/{application.case.reference_no}/certificate.pdf").content
    assert qr_of(pdf, tmp_path) == f"{settings.SITE_URL.rstrip('/')}/verify/{document_of(application).code}/"


def test_rendering_again_prints_the_same_code(apply, client, teacher):
    application = apply()
    client.force_login(teacher)
    url = f"/api/v1/teachers/certificates/{application.case.reference_no}/certificate.pdf"
    client.get(url)
    client.get(url)
    assert IssuedDocument.objects.filter(subject_key=application.subject_key).count() == 1


def test_the_bureau_revokes_with_a_reason_and_verification_says_revoked(apply, bureau, teacher, client):
    application = apply()
    document = document_of(application)
    with pytest.raises(ValidationError) as no_reason:
        certificate_revoke(application=application, by=bureau, reason="  ")
    assert "reason" in no_reason.value.message_dict
    revoked = certificate_revoke(application=application, by=bureau, reason="以欺骗手段取得教师资格")
    assert revoked.state == CertificateState.CERTIFICATE_ISSUED  # the case's state stays; the document goes
    document.refresh_from_db()
    assert document.status == DocumentStatus.REVOKED and document.revoked_reason == "以欺骗手段取得教师资格"
    assert verify(document) | {"issued_on": None} == {
        "valid": False,
        "document": "teacher_certificate",
        "holder": "张*",
        "issued_on": None,
        "status": "revoked",
    }
    page = client.get(f"/verify/{document.code}/")
    assert page.status_code == 200 and "已撤销" in page.content.decode()
    message = Message.objects.filter(recipient=teacher).order_by("-pk").first()
    assert application.certificate_no in message.subject and "以欺骗手段取得教师资格" in message.body
    assert "teachers.certificate_revoked" in set(application.case.events.values_list("action", flat=True))
    client.force_login(teacher)
    pdf = client.get(f"/api/v1/teachers/certificates/{application.case.reference_no}/certificate.pdf")
    assert pdf.status_code == 409
    body = APIClient()
    body.force_authenticate(teacher)
    (listed,) = body.get(f"/api/v1/teachers/certificates/{application.case.reference_no}/").json()[
        "documents"
    ]
    assert listed["status"] == "revoked" and listed["url"] is None
    with pytest.raises(ActionNotAllowed):  # twice: already revoked
        certificate_revoke(application=application, by=bureau, reason="再次撤销")


def test_a_delivered_certificate_can_be_revoked(apply, bureau, courier):
    from portal.deliveries.models import Delivery

    application = apply()
    courier(Delivery.objects.get(case=application.case), "delivered")
    application.refresh_from_db()
    assert application.state == CertificateState.DELIVERED
    certificate_revoke(application=application, by=bureau, reason="撤销")
    assert verify(document_of(application))["status"] == "revoked"
    application.case.refresh_from_db()
    assert application.case.status == "done"  # revoking does not reopen the case


@pytest.mark.parametrize("who", ["teacher", "other_bureau", "clerk"])
def test_only_the_districts_bureau_revokes(apply, teacher, who):
    from portal.orgs.models import District

    application = apply()
    users = {
        "teacher": teacher,
        "other_bureau": UserFactory(
            bureau=True, district=District.objects.create(code="330402", name="南湖区")
        ),
        "clerk": UserFactory(clerk=True),
    }
    with pytest.raises(PermissionDenied):
        certificate_revoke(application=application, by=users[who], reason="x")
    assert verify(document_of(application))["status"] == "valid"


def test_an_application_in_review_has_no_certificate_to_revoke(apply, records, bureau):
    reg.MedicalReport.objects.filter(pk=records["medical"].pk).update(result="unfit")
    application = apply()
    with pytest.raises(ActionNotAllowed):
        certificate_revoke(application=application, by=bureau, reason="x")


def test_the_staff_page_revokes(apply, bureau, client):
    application = apply()
    ref = application.case.reference_no
    client.force_login(bureau)
    assert "撤销证书" in client.get(f"/teachers/review/{ref}/").content.decode()
    client.post(f"/teachers/review/{ref}/revoke/", {"reason": ""})
    assert verify(document_of(application))["status"] == "valid"  # no reason, nothing revoked
    response = client.post(f"/teachers/review/{ref}/revoke/", {"reason": "被依法撤销"}, follow=True)
    assert response.status_code == 200
    assert verify(document_of(application))["status"] == "revoked"
    assert "被依法撤销" in client.get(f"/teachers/review/{ref}/").content.decode()


def test_the_admin_action_asks_for_a_reason_and_revokes(apply, bureau, client):
    from django.contrib.auth.models import Permission

    application = apply()
    bureau.is_staff = True
    bureau.save(update_fields=["is_staff"])
    bureau.user_permissions.add(Permission.objects.get(codename="view_certificateapplication"))
    client.force_login(bureau)
    url = "/admin/teachers/certificateapplication/"
    data = {"action": "revoke_certificates", "_selected_action": [application.pk]}
    asked = client.post(url, data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = asked.content.decode()
    assert asked.status_code == 200 and 'name="reason"' in page
    assert application.case.reference_no in page  # each selected certificate is listed
    assert "持证人将看到该理由" in page  # the help text, in Chinese
    assert verify(document_of(application))["status"] == "valid"
    done = client.post(url, {**data, "apply": "1", "reason": "违反职业道德"})
    assert done.status_code == 302
    document = document_of(application)
    assert verify(document)["status"] == "revoked" and document.revoked_reason == "违反职业道德"


def test_the_honour_certificate_verifies(school, django_capture_on_commit_callbacks, tmp_path, settings):
    import datetime as dt

    from portal.invitations.models import Invitation
    from portal.invitations.services import invitations_run_finders
    from teachers.services import honour_accept
    from tests.factories import make_id_number

    id_number = make_id_number(dt.date(1970, 1, 1), 2)
    reg.Person.objects.create(id_number=id_number, name="王𠀀芳", gender="F", birth_date=dt.date(1970, 1, 1))
    reg.TeacherEmployment.objects.create(
        id_number=id_number, school_code=school.code, service_start=dt.date(1996, 9, 1)
    )
    invitations_run_finders(year=2026)
    teacher = UserFactory(real_name="王𠀀芳", id_number=id_number, phone="13900002222")
    invitation = Invitation.objects.get(service__code="HON", person_id_hash=teacher.id_number_hash)
    with django_capture_on_commit_callbacks(execute=True):
        honour = honour_accept(invitation=invitation, delivery_address="嘉兴市秀洲区洪兴路 1 号", by=teacher)
    document = IssuedDocument.objects.get(case=honour.case)
    assert document.kind == "honour_certificate"
    assert verify(document) | {"issued_on": None} == {
        "valid": True,
        "document": "honour_certificate",
        "holder": "王*芳",
        "issued_on": None,
        "status": "valid",
    }
    client = APIClient()
    client.force_authenticate(teacher)
    pdf = client.get(f"/api/v1/teachers/honours/{honour.case.reference_no}/certificate.pdf").content
    assert qr_of(pdf, tmp_path) == f"{settings.SITE_URL.rstrip('/')}/verify/{document.code}/"
