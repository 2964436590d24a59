"""Issue 12, "Done when — Verification", end to end through the service functions: an application is
qualified through the real path (submit → verification task → sandbox registries → rules), its place
notice's QR code opens a page saying valid; after withdrawal it says revoked; the old
/enrollment/verify/<token>/ links keep working; notices issued before the registry are registered by the
data migration under their old token."""

import importlib
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from django.apps import apps

from enrollment.models import State
from enrollment.notice import (
    NoticeClaim,
    NoticeKind,
    legacy_verification_url,
    make_notice_token,
    notice_context,
    render_notice_pdf,
)
from enrollment.services import application_withdraw
from portal.documents.models import DocumentKind, DocumentStatus, IssuedDocument
from tests.enrollment.conftest import _enrollment_settings, family, submit, world  # noqa: F401 - fixtures
from tests.i18n import zh

pytestmark = pytest.mark.django_db


@pytest.fixture
def qualified(family, django_capture_on_commit_callbacks):  # noqa: F811 - the imported fixture
    app = submit(family.load(), django_capture_on_commit_callbacks)
    assert app.state == State.QUALIFIED
    return app


def decode_qr(pdf_bytes: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf_bytes)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(path), str(tmp_path / "page")], check=True
    )
    return subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_qualifying_registers_the_place_notice(qualified):
    [document] = IssuedDocument.objects.filter(case=qualified.case)
    assert (document.kind, document.status, document.holder_masked) == (
        DocumentKind.PLACE_NOTICE,
        DocumentStatus.VALID,
        "王*𬌗",
    )
    assert document.subject_key == f"enrollment.application:{qualified.pk}"
    assert qualified.case.events.filter(action="documents.issued").exists()


@pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbar-tools not installed: cannot decode QR codes")
def test_the_qr_code_opens_valid_and_after_withdrawal_revoked(qualified, client, tmp_path, settings):
    url = decode_qr(render_notice_pdf(qualified), tmp_path)
    document = IssuedDocument.objects.get(case=qualified.case)
    assert url == f"{settings.SITE_URL.rstrip('/')}/verify/{document.code}/"
    path = urlsplit(url).path

    page = client.get(path)
    assert page.status_code == 200 and zh("Valid") in page.content.decode()
    assert "verdict--valid" in page.content.decode()
    assert client.get(f"/api/v1/verify/{document.code}/").json() == {
        "valid": True,
        "document": "place_notice",
        "holder": "王*𬌗",
        "issued_on": document.issued_on.isoformat(),
        "status": "valid",
    }

    application_withdraw(application=qualified, by=qualified.guardian, note="moved away")

    page = client.get(path)
    assert page.status_code == 200 and zh("Revoked") in page.content.decode()
    assert "verdict--revoked" in page.content.decode()
    body = client.get(f"/api/v1/verify/{document.code}/").json()
    assert (body["valid"], body["status"]) == (False, "revoked")
    document.refresh_from_db()
    assert document.revoked_reason == zh("The case was withdrawn.")


def test_the_application_detail_lists_the_notice(qualified, client):
    client.force_login(qualified.guardian)
    detail = client.get(f"/api/v1/enrollment/applications/{qualified.case.reference_no}/").json()
    [row] = detail["documents"]
    assert row["document"] == "place_notice" and row["status"] == "valid"
    assert row["verify_url"] == notice_context(qualified)["verify_url"]
    application_withdraw(application=qualified, by=qualified.guardian)
    detail = client.get(f"/api/v1/enrollment/applications/{qualified.case.reference_no}/").json()
    assert [(r["status"], r["url"]) for r in detail["documents"]] == [("revoked", None)]


def test_an_old_enrollment_verify_link_redirects_to_the_document(qualified, client):
    token = make_notice_token(NoticeClaim(NoticeKind.PLACE, qualified.case.reference_no, "P1"))
    response = client.get(urlsplit(legacy_verification_url(token)).path)
    document = IssuedDocument.objects.get(case=qualified.case)
    assert response.status_code == 302 and response["Location"] == f"/verify/{document.code}/"
    assert client.get(response["Location"]).status_code == 200


def test_the_data_migration_maps_old_tokens_to_documents(qualified, client):
    """A notice issued before the registry: its row is gone here, the migration registers it anew."""
    IssuedDocument.objects.filter(case=qualified.case).delete()
    migration = importlib.import_module("enrollment.migrations.0002_register_notices")
    migration.register(apps, None)

    document = IssuedDocument.objects.get(case=qualified.case)
    token = make_notice_token(NoticeClaim(NoticeKind.PLACE, qualified.case.reference_no, "P1"))
    assert document.legacy_token == token and document.is_valid and document.holder_masked == "王*𬌗"
    response = client.get(f"/enrollment/verify/{token}/")
    assert response.status_code == 302 and response["Location"] == f"/verify/{document.code}/"
    # the registered document is reused, not reissued
    assert notice_context(qualified)["verify_url"].endswith(f"/verify/{document.code}/")
    migration.register(apps, None)  # idempotent
    assert IssuedDocument.objects.filter(case=qualified.case).count() == 1
