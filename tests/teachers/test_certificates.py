"""Teacher certificates: 秒批, reasons for review, a registry down, windows, duplicates, the certificate,
its number, its delivery."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portal.cases.workflow import ActionNotAllowed
from portal.deliveries.models import Delivery
from sandbox import models as reg
from teachers.models import CertificateState, StageRequirement
from teachers.services import certificate_approve, certificate_reject

pytestmark = pytest.mark.django_db


def results(application) -> dict:
    return {c.name: c.result for c in application.checks.all()}


def reasons(application) -> dict:
    return {c.name: c.reason for c in application.checks.all()}


def test_every_check_passes_and_the_certificate_is_issued_at_once(apply, teacher):
    application = apply()
    assert results(application) == {
        "identity": "pass",
        "degree": "pass",
        "exam": "pass",
        "mandarin": "pass",
        "medical": "pass",
    }
    assert application.state == CertificateState.CERTIFICATE_ISSUED
    year = timezone.localdate().year
    assert application.certificate_no == f"{year}3304113000001"
    delivery = Delivery.objects.get(case=application.case)
    assert delivery.tracking_no and delivery.address.startswith("浙江省嘉兴市")
    actions = list(application.case.events.values_list("action", flat=True))
    assert "teachers.approved_automatically" in actions and "teachers.certificate_issued" in actions


YESTERDAY = object()  # the day before the test runs


@pytest.mark.parametrize(
    "record, changes, check, words",
    [
        ("degree", {"degree": "associate"}, "degree", "本科"),
        ("exam", {"stage": "primary"}, "exam", "primary"),
        ("exam", {"valid_until": YESTERDAY}, "exam", "expired"),
        ("exam", {"subject": "数学"}, "exam", "数学"),
        ("mandarin", {"level": "二级乙等"}, "mandarin", "二级甲等"),
        ("medical", {"result": "unfit"}, "medical", "fit"),
        ("person", {"name": "张三"}, "identity", "name"),
        ("medical", None, "medical", "no report"),
    ],
    ids=["degree-below", "exam-other-stage", "exam-expired", "exam-other-subject", "mandarin-below-chinese",
         "medical-unfit", "identity-name", "medical-unknown"],
)  # fmt: skip
def test_a_mismatch_sends_the_application_to_review_with_its_reason(
    apply, records, record, changes, check, words
):
    from django.utils import translation

    row = records[record]
    rows = type(row).objects.filter(pk=row.pk)
    if changes is None:
        rows.delete()
    else:
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        rows.update(**{k: yesterday if v is YESTERDAY else v for k, v in changes.items()})
    with translation.override("en"):
        application = apply()
    assert application.state == CertificateState.NEEDS_REVIEW
    assert results(application)[check] == "fail"
    assert words in reasons(application)[check]
    assert not application.certificate_no


def test_mandarin_second_b_is_enough_for_a_maths_teacher(apply, records):
    reg.MandarinTest.objects.filter(pk=records["mandarin"].pk).update(level="二级乙等")
    reg.TeacherExam.objects.filter(pk=records["exam"].pk).update(subject="数学")
    assert apply(subject="数学").state == CertificateState.CERTIFICATE_ISSUED


@pytest.mark.parametrize(
    "stage, degree, passes",
    [
        ("kindergarten", "associate", True),
        ("kindergarten", "secondary", False),
        ("primary", "associate", True),
        ("junior", "associate", False),
        ("junior", "bachelor", True),
        ("senior", "bachelor", True),
        ("senior", "associate", False),
    ],
)
def test_each_stages_degree_minimum(apply, records, stage, degree, passes):
    reg.DegreeRecord.objects.filter(pk=records["degree"].pk).update(degree=degree)
    reg.TeacherExam.objects.filter(pk=records["exam"].pk).update(stage=stage)
    application = apply(stage=stage)
    assert (results(application)["degree"] == "pass") is passes


def test_the_bureau_edits_the_minimum(apply, records):
    StageRequirement.objects.create(stage="junior", min_degree="master")
    assert results(apply())["degree"] == "fail"


def test_a_registry_down_is_never_a_silent_pass(apply, records):
    reg.SourceFault.objects.create(source="medical", error_rate=1.0, seed=1)
    application = apply()
    assert application.state == CertificateState.NEEDS_REVIEW
    assert results(application)["medical"] == "unavailable"
    assert "by hand" in reasons(application)["medical"] or "人工" in reasons(application)["medical"]


def test_outside_the_windows_409_with_the_next_window(apply, window):
    today = timezone.localdate()
    window.opens_on, window.closes_on = today + dt.timedelta(days=30), today + dt.timedelta(days=60)
    window.save()
    with pytest.raises(ActionNotAllowed) as refused:
        apply()
    assert window.opens_on.isoformat() in refused.value.messages[0]


def test_one_running_application_per_person_and_stage(apply):
    first = apply()
    with pytest.raises(ActionNotAllowed) as refused:
        apply()
    assert first.case.reference_no in refused.value.messages[0]
    assert apply(stage="senior").stage == "senior"  # another stage is another application


def test_field_errors(apply):
    with pytest.raises(ValidationError) as bad:
        apply(stage="university", delivery_address="x", exam_pass_no="")
    assert set(bad.value.message_dict) == {"stage", "delivery_address", "exam_pass_no"}


def test_staff_cannot_apply(apply, bureau):
    with pytest.raises(PermissionDenied):
        apply(user=bureau)


def test_the_bureau_approves_after_review_and_the_number_is_next(apply, records, bureau, teacher):
    reg.MedicalReport.objects.filter(pk=records["medical"].pk).update(result="unfit")
    application = apply()
    approved = certificate_approve(application=application, by=bureau, note="复查体检合格")
    assert approved.state == CertificateState.CERTIFICATE_ISSUED
    assert approved.certificate_no.endswith("3000001")


def test_reject_needs_a_reason(apply, records, bureau):
    reg.MedicalReport.objects.filter(pk=records["medical"].pk).update(result="unfit")
    application = apply()
    with pytest.raises(ValidationError):
        certificate_reject(application=application, by=bureau, note=" ")
    rejected = certificate_reject(application=application, by=bureau, note="体检不合格")
    assert rejected.state == CertificateState.REJECTED and rejected.case.status == "rejected"


def test_courier_callbacks_move_the_case_to_delivered(apply, courier):
    application = apply()
    delivery = Delivery.objects.get(case=application.case)
    courier(delivery, "in_transit")
    application.refresh_from_db()
    assert application.state == CertificateState.CERTIFICATE_ISSUED
    courier(delivery, "delivered")
    application.refresh_from_db()
    assert delivery.status == "delivered"
    assert application.state == CertificateState.DELIVERED
    assert application.case.status == "done"


def test_the_certificate_pdf_renders_the_rare_name(apply, client, teacher):
    application = apply()
    client.force_login(teacher)
    response = client.get(f"/api/v1/teachers/certificates/{application.case.reference_no}/certificate.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    from portal.core.pdfinspect import inspect_pdf

    assert inspect_pdf(response.content).unembedded_fonts == []
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert application.certificate_no in text and "张𠈌" in text and "初中教师资格" in text


@pytest.mark.parametrize(
    "subject, level, passes",
    [
        ("语文", "二级甲等", True),
        ("语文", "二级乙等", False),  # a Chinese-language teacher needs 二级甲等
        ("对外汉语", "二级乙等", False),
        ("数学", "二级乙等", True),
        ("数学", "三级甲等", False),
        ("数学", "一级乙等", True),
    ],
)
def test_mandarin_level_per_subject(apply, records, subject, level, passes):
    reg.MandarinTest.objects.filter(pk=records["mandarin"].pk).update(level=level)
    reg.TeacherExam.objects.filter(pk=records["exam"].pk).update(subject=subject)
    application = apply(subject=subject)
    assert (results(application)["mandarin"] == "pass") is passes
    assert (application.state == CertificateState.CERTIFICATE_ISSUED) is passes


@pytest.mark.parametrize(
    "source, check",
    [("hukou", "identity"), ("degree", "degree"), ("teacher_exam", "exam"), ("mandarin", "mandarin"),
     ("medical", "medical")],
)  # fmt: skip
def test_any_registry_down_sends_it_to_review(apply, source, check):
    reg.SourceFault.objects.create(source=source, error_rate=1.0, seed=1)
    application = apply()
    assert application.state == CertificateState.NEEDS_REVIEW and not application.certificate_no
    assert results(application)[check] == "unavailable"
    assert {c for c, r in results(application).items() if r != "pass"} == {check}


def test_the_uploaded_photo_is_printed(apply, client, teacher):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image
    from pypdf import PdfReader

    from portal.cases.services import attachment_add

    def images(pdf: bytes) -> int:
        return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)

    application = apply()
    client.force_login(teacher)
    url = f"/api/v1/teachers/certificates/{application.case.reference_no}/certificate.pdf"
    without = images(client.get(url).content)
    png = io.BytesIO()
    Image.new("RGB", (132, 176), (200, 40, 40)).save(png, format="PNG")
    attachment_add(
        case=application.case,
        by=teacher,
        kind="证件照",
        uploaded_file=SimpleUploadedFile("photo.png", png.getvalue(), content_type="image/png"),
    )
    assert images(client.get(url).content) == without + 1
