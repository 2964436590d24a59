"""The e-receipt in the document registry: registered when the bill is paid, its QR code decodes to
/verify/<code>/, a full refund revokes it, the old /payments/receipts/<token>/ link redirects, and the data
migration registers receipts paid before the registry under their old token."""

import importlib
import shutil
import subprocess

import pytest
from django.apps import apps

from payments import receipts
from payments.models import OrderState
from portal.documents.models import DocumentKind, IssuedDocument
from tests.payments.conftest import (  # noqa: F401 - fixtures
    _no_archive_packages,
    bureau,
    district,
    exam_fee,
    issue,
    kindergarten,
    payer,
    tester,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(issue, tester, kindergarten):  # noqa: F811 - the imported fixtures
    order = issue(subject_name="王小明", school=kindergarten)
    tester.pay(order)
    assert order.state == OrderState.PAID
    return order


def test_paying_registers_the_receipt(paid, client):
    key = f"payments.order:{paid.order_no}"
    document = IssuedDocument.objects.get(kind=DocumentKind.RECEIPT, subject_key=key)
    assert document.is_valid and document.holder_masked == "王*明" and document.case == paid.case
    client.force_login(paid.payer)
    detail = client.get(f"/api/v1/payments/orders/{paid.order_no}/").json()
    assert [(d["document"], d["status"]) for d in detail["documents"]] == [("receipt", "valid")]
    assert detail["documents"][0]["verify_url"].endswith(f"/verify/{document.code}/")


@pytest.mark.skipif(
    not (shutil.which("zbarimg") and shutil.which("pdftoppm")), reason="zbar-tools or poppler-utils missing"
)
def test_the_receipt_qr_decodes_to_verify(paid, tmp_path, settings):
    path = tmp_path / "receipt.pdf"
    path.write_bytes(receipts.render_receipt_pdf(paid))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(path), str(tmp_path / "page")], check=True
    )
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    document = IssuedDocument.objects.get(kind=DocumentKind.RECEIPT, case=paid.case)
    assert decoded == f"{settings.SITE_URL.rstrip('/')}/verify/{document.code}/"


def test_the_data_migration_maps_old_receipt_tokens(paid, client):
    IssuedDocument.objects.filter(case=paid.case).delete()
    migration = importlib.import_module("payments.migrations.0003_register_receipts")
    migration.register(apps, None)
    document = IssuedDocument.objects.get(kind=DocumentKind.RECEIPT, case=paid.case)
    assert document.legacy_token == receipts.make_token(paid) and document.is_valid
    assert document.facts["receipt_no"] == paid.receipt_no
    response = client.get(f"/payments/receipts/{receipts.make_token(paid)}/")
    assert response.status_code == 302 and response["Location"] == f"/verify/{document.code}/"
    assert receipts.verification_url(paid).endswith(f"/verify/{document.code}/")  # reused, not reissued
