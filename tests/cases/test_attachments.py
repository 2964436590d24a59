"""Attachments: the real type is read from the first bytes, the size is capped, the file is stored under
a random name, the original name is kept, strangers are refused, and a failed write leaves no file."""

import hashlib
import io
import os
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from portal.cases import services
from portal.cases.models import Attachment, CaseEvent
from portal.cases.services import attachment_add
from portal.cases.tasks import sweep_orphan_attachments
from portal.cases.workflow import ActionNotAllowed
from tests.factories import CaseInStatusFactory, SchoolFactory, UserFactory, tiny_pdf

pytestmark = pytest.mark.django_db

PDF = tiny_pdf()
NO_PAGES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 40
HTML = b"<html><script>alert(1)</script></html>"


@pytest.fixture
def case(db):
    return CaseInStatusFactory()


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "attachments"
    return sorted(root.iterdir()) if root.exists() else []


def test_a_pdf_is_stored_under_a_random_name(case):
    upload = SimpleUploadedFile("户口簿-𠈌.pdf", PDF, content_type="application/pdf")
    attachment = attachment_add(case=case, by=case.applicant, kind="户口簿", uploaded_file=upload)

    attachment.refresh_from_db()
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", attachment.stored_name)
    assert attachment.file.name == f"attachments/{attachment.stored_name}"
    assert "户口簿" not in attachment.file.name
    assert attachment.original_name == "户口簿-𠈌.pdf"  # Unicode (beyond the BMP) kept intact
    assert (attachment.content_type, attachment.size) == ("application/pdf", len(PDF))
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored_files() == [Path(settings.MEDIA_ROOT) / attachment.file.name]
    assert stored_files()[0].read_bytes() == PDF
    event = CaseEvent.objects.get(case=case, action="attachment_added")
    assert event.data["attachment"] == attachment.pk and event.actor == case.applicant


def test_two_uploads_of_the_same_name_get_different_stored_names(case):
    names = {
        attachment_add(
            case=case, by=case.applicant, kind="照片", uploaded_file=SimpleUploadedFile("a.pdf", PDF)
        ).stored_name
        for _ in range(2)
    }
    assert len(names) == 2


@pytest.mark.parametrize(
    ("name", "content", "client_type", "stored_type", "extension"),
    [
        ("scan.pdf", PDF, "application/octet-stream", "application/pdf", ".pdf"),
        ("photo.pdf", PNG, "application/pdf", "image/png", ".png"),  # the name lies; the bytes decide
        ("photo", JPEG, "", "image/jpeg", ".jpg"),
    ],
)
def test_the_type_comes_from_the_bytes(case, name, content, client_type, stored_type, extension):
    upload = SimpleUploadedFile(name, content, content_type=client_type)
    attachment = attachment_add(case=case, by=case.applicant, kind="材料", uploaded_file=upload)
    assert attachment.content_type == stored_type
    assert attachment.stored_name.endswith(extension)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("证明.pdf", EXE),  # a Windows program named .pdf
        ("证明.pdf", HTML),  # a web page named .pdf
        ("证明.pdf", b""),  # empty
        ("证明.gif", b"GIF89a" + b"\x00" * 20),  # an image type that is not allowed
    ],
)
def test_other_content_is_refused_whatever_its_name(case, name, content):
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    with pytest.raises(ValidationError) as excinfo:
        attachment_add(case=case, by=case.applicant, kind="证明", uploaded_file=upload)
    assert excinfo.value.message_dict["file"]
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_an_oversize_file_is_refused(case, settings):
    settings.ATTACHMENT_MAX_BYTES = len(PDF)
    upload = SimpleUploadedFile("big.pdf", PDF + b"\n", content_type="application/pdf")
    with pytest.raises(ValidationError) as excinfo:
        attachment_add(case=case, by=case.applicant, kind="证明", uploaded_file=upload)
    assert "file" in excinfo.value.message_dict
    assert stored_files() == []
    exactly = SimpleUploadedFile("ok.pdf", PDF)
    assert attachment_add(case=case, by=case.applicant, kind="证明", uploaded_file=exactly).size == len(PDF)


def test_who_may_add(case):
    upload = SimpleUploadedFile("a.pdf", PDF)
    for stranger in (
        UserFactory(),
        UserFactory(clerk=True, school=SchoolFactory(district=case.district)),
        UserFactory(auditor=True, district=case.district),
    ):
        with pytest.raises(PermissionDenied):
            attachment_add(case=case, by=stranger, kind="证明", uploaded_file=upload)
    clerk = UserFactory(clerk=True, school=case.school)
    assert attachment_add(case=case, by=clerk, kind="窗口扫描件", uploaded_file=upload).uploaded_by == clerk
    assert Attachment.objects.count() == 1


def test_no_files_on_a_closed_case():
    case = CaseInStatusFactory(done=True)
    with pytest.raises(ActionNotAllowed):
        attachment_add(
            case=case, by=case.applicant, kind="证明", uploaded_file=SimpleUploadedFile("a.pdf", PDF)
        )


def test_a_failed_database_write_leaves_no_file_behind(case, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.attachments, "case_log_event", broken)
    with pytest.raises(RuntimeError):
        attachment_add(
            case=case, by=case.applicant, kind="证明", uploaded_file=SimpleUploadedFile("a.pdf", PDF)
        )
    assert not Attachment.objects.exists()
    assert stored_files() == []


def _pdf_with_root(entries: dict) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    for key, value in entries.items():
        if key == "/OpenAction":
            value = DictionaryObject(
                {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(value)}
            )
        writer._root_object[NameObject(key)] = value
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_with_attached_file() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(PDF)))
    writer.add_attachment("payload.exe", b"MZ...")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (lambda: _pdf_with_root({"/OpenAction": "app.alert('hi');"}), "scripts"),
        (_pdf_with_attached_file, "attached files"),
        (lambda: PDF[: len(PDF) // 2], "cannot be opened"),
        (
            lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
            "cannot be opened",
        ),
    ],
    ids=["javascript", "embedded-file", "truncated", "no-pages"],
)
def test_a_pdf_the_archive_would_refuse_is_refused_at_upload(case, data, words):
    """Otherwise the case could never be archived: its package would fail the four-properties check."""
    upload = SimpleUploadedFile("证明.pdf", data(), content_type="application/pdf")
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        attachment_add(case=case, by=case.applicant, kind="证明", uploaded_file=upload)
    assert words in excinfo.value.message_dict["file"][0]
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_files_left_without_a_row_are_swept_after_an_hour(case):
    """A worker killed between writing the file and committing its row leaves a file nobody can reach."""

    upload = SimpleUploadedFile("a.pdf", PDF)
    kept = attachment_add(case=case, by=case.applicant, kind="户口簿", uploaded_file=upload)
    folder = Path(settings.MEDIA_ROOT) / "attachments"
    old_orphan, new_orphan = folder / ("0" * 32 + ".pdf"), folder / ("1" * 32 + ".pdf")
    for path in (old_orphan, new_orphan):
        path.write_bytes(PDF)
    two_hours_ago = time.time() - 7200
    os.utime(old_orphan, (two_hours_ago, two_hours_ago))
    os.utime(Path(kept.file.path), (two_hours_ago, two_hours_ago))  # old, but an attachment's

    assert sweep_orphan_attachments() == 1
    assert not old_orphan.exists()
    assert new_orphan.exists()  # perhaps a row still being committed
    assert Path(kept.file.path).exists()
    assert sweep_orphan_attachments() == 0
