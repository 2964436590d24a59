"""Helpers of the suspension, resumption and correction tests: certificates as a family would upload them,
and suspensions brought to a state through the services (never by writing the state)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studentstatus.services import resumptions, suspensions
from tests.factories import tiny_pdf

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf_upload(name="证明.pdf"):
    return SimpleUploadedFile(name, tiny_pdf("诊断证明"), content_type="application/pdf")


def jpeg_upload(name="证明.jpg"):
    return SimpleUploadedFile(name, JPEG, content_type="image/jpeg")


def png_upload(name="证明.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def apply_suspension(family, months=6, reason="肺炎住院，医嘱休养", certificate=True):
    suspension = suspensions.suspension_apply(
        guardian=family.guardian, student_id_number=family.child_id, months=months, reason=reason
    )
    if certificate:
        suspensions.certificate_attach(
            obj=suspension, by=family.guardian, kind="hospital_certificate", uploaded_file=pdf_upload()
        )
    return suspension


def approved_suspension(family, staff, months=6):
    """A suspension through both approvals (the record is suspended afterwards)."""
    suspension = apply_suspension(family, months=months)
    suspension = suspensions.suspension_approve(suspension=suspension, by=staff["P1"])
    return suspensions.suspension_approve(suspension=suspension, by=staff["bureau"])


def apply_resumption(family, certificate=True):
    resumption = resumptions.resumption_apply(guardian=family.guardian, student_id_number=family.child_id)
    if certificate:
        suspensions.certificate_attach(
            obj=resumption, by=family.guardian, kind="medical_certificate", uploaded_file=jpeg_upload()
        )
    return resumption


@pytest.fixture
def no_archive_packages():
    """A case closed while on_commit callbacks run would be packaged by the archive (a PDF/A render): the
    archive's business, tested in tests/archive."""
    from archive.signals import queue_package
    from portal.cases.signals import case_closed

    case_closed.disconnect(dispatch_uid="archive.queue_package")
    yield
    case_closed.connect(queue_package, dispatch_uid="archive.queue_package")
