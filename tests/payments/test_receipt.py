"""The e-receipt (电子票据): a PDF with the payer's rare-character name in embedded fonts, the amount in
capital numerals, and a QR code that opens a public verification page showing the receipt's standing.
Rendering costs ~0.3 s warm, so one test renders and inspects one receipt."""

import shutil
import subprocess

import pytest
from django.conf import settings

from payments import receipts, refunds
from payments.models import OrderState

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(issue, tester, kindergarten):
    order = issue(subject_name="王小𬌗", school=kindergarten)
    tester.pay(order)
    assert order.state == OrderState.PAID
    return order


def poppler(tool: str, path, *args: str) -> str:
    exe = shutil.which(tool)
    assert exe, f"{tool} is missing: install poppler-utils (make setup does)"
    out = subprocess.run(
        [exe, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (68000, "陆佰捌拾元整"),
        (14050, "壹佰肆拾元伍角整"),
        (123456, "壹仟贰佰叁拾肆元伍角陆分"),
        (100005, "壹仟元零伍分"),
        (1000500, "壹万零伍元整"),
        (100000000, "壹佰万元整"),
        (10000000000, "壹亿元整"),
        (5, "伍分"),
        (0, "零元整"),
    ],
)
def test_amounts_in_capital_numerals(fen, words):
    assert receipts.amount_in_words(fen) == words


def test_the_receipt_pdf_names_the_payer_and_its_qr_code_verifies(paid, client, tmp_path):
    client.force_login(paid.payer)
    response = client.get(f"/payments/orders/{paid.order_no}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    path = tmp_path / "receipt.pdf"
    path.write_bytes(response.content)
    text = poppler("pdftotext", path, "-enc", "UTF-8")
    flat = "".join(text.split())
    assert "教育收费电子票据" in flat and "王小𬌗" in flat
    assert paid.receipt_no in flat and paid.order_no in flat and "壹佰肆拾元伍角整" in flat
    assert "¥140.50" in flat and "秀洲区教育局" in flat and paid.platform_trade_no in flat
    for line in poppler("pdffonts", path).splitlines()[2:]:
        assert line.split()[-5:-3] == ["yes", "yes"], line  # every font embedded and subset
    url = receipts.verification_url(paid)
    if shutil.which("zbarimg") and shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "150", "-singlefile", str(path), str(tmp_path / "page")], check=True
        )
        decoded = subprocess.run(
            ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert decoded == url

    client.logout()  # the verification page is public
    page = client.get(url.removeprefix("http://127.0.0.1:8000"))
    body = page.content.decode()
    assert page.status_code == 200 and paid.receipt_no in body and "王*𬌗" in body
    assert "王小𬌗" not in body and page["X-Robots-Tag"] == "noindex, nofollow"


def test_verification_follows_refunds_and_refuses_forgeries(
    paid, bureau, client, django_capture_on_commit_callbacks
):
    path = receipts.verification_url(paid).removeprefix("http://127.0.0.1:8000")
    assert path.startswith("/verify/")
    api = path.replace("/verify/", "/api/v1/verify/", 1)
    assert client.get(api).json()["status"] == "valid"
    with django_capture_on_commit_callbacks(execute=True):
        refunds.order_refund(order=paid, by=bureau, amount_fen=4050, reason="部分退费")
    assert client.get(api).json() | {"issued_on": None} == {
        "valid": True,  # a partial refund leaves the receipt standing
        "document": "receipt",
        "holder": "王*𬌗",
        "issued_on": None,
        "status": "valid",
    }
    with django_capture_on_commit_callbacks(execute=True):
        refunds.order_refund(order=paid, by=bureau, reason="全额退费")
    assert client.get(api).json()["status"] == "revoked"  # voided by the full refund (红冲)
    assert receipts.verification_url(paid) == "http://127.0.0.1:8000" + path  # no new receipt issued
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Revoked" in client.get(path).content.decode()

    legacy = f"/payments/receipts/{receipts.make_token(paid)}/"  # a receipt printed before the registry
    assert client.get(legacy).status_code == 302 and client.get(legacy)["Location"] == path
    forged = legacy[:-3] + ("A" if legacy[-3] != "A" else "B") + legacy[-2:]
    assert client.get(forged).status_code == 404
    assert client.get("/payments/receipts/not-a-token/").status_code == 404


def test_no_receipt_before_payment(issue, client):
    order = issue()
    client.force_login(order.payer)
    response = client.get(f"/payments/orders/{order.order_no}/receipt.pdf")
    assert response.status_code == 302
    with pytest.raises(receipts.ReceiptNotAvailable):
        receipts.receipt_context(order)
