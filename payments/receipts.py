"""The electronic receipt (电子票据) of a paid bill, and its public verification.

The receipt is rendered on request from the order (WeasyPrint through ``portal.core.pdf``, Noto CJK
embedded, so a rare character in a child's name prints). Its QR code opens
``/payments/receipts/<token>/``: the token is a signed value (own salt) of the order and receipt
numbers, so a forged or altered one fails, and the page shows the receipt's current standing — valid,
partly refunded, or voided by a full refund (红冲) — with the payer's name masked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation

from payments.models import PAID_STATES, Order, OrderState
from payments.money import format_yuan
from portal.cases.services import BUREAU_TZ
from portal.core import pii
from portal.core.pdf import qr_svg, render_pdf

TOKEN_SALT = "payments.receipt.verify.v1"  # noqa: S105 - a namespace for the signature, not a secret
TEMPLATE = "payments/receipt.html"
TITLE = "教育收费电子票据"


class ReceiptNotAvailable(Exception):
    """The order has not been paid: there is no receipt."""


class InvalidReceiptToken(Exception):
    """The token was not issued by this portal, or was altered, or its order is gone."""


def make_token(order: Order) -> str:
    return signing.Signer(salt=TOKEN_SALT).sign_object({"o": order.order_no, "r": order.receipt_no})


def verification_url(order: Order) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("payments:verify_receipt", args=[make_token(order)])


def receipt_context(order: Order) -> dict:
    if order.state not in PAID_STATES or not order.receipt_no:
        raise ReceiptNotAvailable(order.order_no)
    url = verification_url(order)
    return {
        "title": TITLE,
        "order": order,
        "receipt_no": order.receipt_no,
        "payee": order.fee_item.payee,
        "payer_name": order.subject_name,
        "payer_account": order.payer.display_name,
        "subject_id_masked": pii.mask_id(order.subject_id_number),
        "item": order.fee_item.name,
        "bill": order.title,
        "period": order.period,
        "amount": format_yuan(order.paid_fen),
        "amount_in_words": amount_in_words(order.paid_fen),
        "refunded": format_yuan(order.refunded_fen) if order.refunded_fen else "",
        "legal_basis": order.fee_item.legal_basis,
        "paid_at": timezone.localtime(order.paid_at, BUREAU_TZ),
        "trade_no": order.platform_trade_no,
        "reference_no": order.case.reference_no,
        "voided": order.state == OrderState.REFUNDED,
        "verify_url": url,
        "qr": qr_svg(url),
    }


def render_receipt_pdf(order: Order) -> bytes:
    """The receipt as PDF bytes (Chinese whatever the requester's language: a financial document)."""
    with translation.override("zh-hans"):
        return render_pdf(TEMPLATE, receipt_context(order))


def receipt_filename(order: Order) -> str:
    return f"电子票据-{order.receipt_no}.pdf"


DIGITS = "零壹贰叁肆伍陆柒捌玖"
SECTION_UNITS = ("", "万", "亿", "万亿")


def _section(n: int) -> str:
    """0 < n < 10000 in capital numerals, with one 零 for each run of inner zeros."""
    text, gap = "", False
    for power, unit in ((3, "仟"), (2, "佰"), (1, "拾"), (0, "")):
        digit = n // 10**power % 10
        if digit:
            text += ("零" if gap and text else "") + DIGITS[digit] + unit
            gap = False
        else:
            gap = True
    return text


def _integer(n: int) -> str:
    sections = []
    while n:
        n, part = divmod(n, 10000)
        sections.append(part)
    text, gap = "", False
    for index in range(len(sections) - 1, -1, -1):
        part = sections[index]
        if not part:
            gap = bool(text)
            continue
        if text and (gap or part < 1000):
            text += "零"
        text += _section(part) + SECTION_UNITS[index]
        gap = False
    return text


def amount_in_words(fen: int) -> str:
    """人民币大写 as printed on Chinese receipts: 123456 fen → 壹仟贰佰叁拾肆元伍角陆分."""
    yuan, rest = divmod(int(fen), 100)
    jiao, cents = divmod(rest, 10)
    text = _integer(yuan) + "元" if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif cents and yuan:
        text += "零"
    if cents:
        text += DIGITS[cents] + "分"
    return (text or "零元") + ("" if cents else "整")


# --- public verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptVerification:
    receipt_no: str
    order_no: str
    masked_name: str
    payee: str
    item: str
    bill: str
    amount: str
    refunded: str
    paid_on: dt.date
    status: str  # valid | partly_refunded | voided

    @property
    def is_valid(self) -> bool:
        return self.status != "voided"


def verify_receipt(token: str) -> ReceiptVerification:
    try:
        data = signing.Signer(salt=TOKEN_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise InvalidReceiptToken("not a token issued by this portal") from exc
    if not isinstance(data, dict) or not isinstance(data.get("o"), str) or not isinstance(data.get("r"), str):
        raise InvalidReceiptToken("malformed token")
    order = (
        Order.objects.select_related("fee_item", "fee_item__school", "fee_item__district")
        .filter(order_no=data["o"], receipt_no=data["r"])
        .first()
    )
    if order is None or order.state not in PAID_STATES:
        raise InvalidReceiptToken("no such receipt")
    status = {OrderState.PAID: "valid", OrderState.PARTLY_REFUNDED: "partly_refunded"}.get(
        order.state, "voided"
    )
    return ReceiptVerification(
        receipt_no=order.receipt_no,
        order_no=order.order_no,
        masked_name=pii.mask_name(order.subject_name),
        payee=order.fee_item.payee,
        item=order.fee_item.name,
        bill=order.title,
        amount=format_yuan(order.paid_fen),
        refunded=format_yuan(order.refunded_fen) if order.refunded_fen else "",
        paid_on=timezone.localtime(order.paid_at, BUREAU_TZ).date(),
        status=status,
    )
