"""The electronic receipt (电子票据) of a paid bill, and its public verification.

The receipt is rendered on request from the order (WeasyPrint through ``portal.core.pdf``, Noto CJK
embedded, so a rare character in a child's name prints). It is registered as an issued document
(``portal.documents``) when the bill is paid, and its QR code opens ``<SITE_URL>/verify/<code>/``: valid,
or revoked once a full refund voids it (红冲); a partial refund leaves it valid.

Receipts printed before the registry carried ``/payments/receipts/<token>/``, a signed value (own salt)
of the order and receipt numbers; those links redirect to the registered document
(:func:`document_for_token`).
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation

from payments.models import PAID_STATES, Order, OrderState
from payments.money import format_yuan
from portal.cases.services import BUREAU_TZ
from portal.core import pii
from portal.core.pdf import qr_svg, render_pdf
from portal.documents.models import DocumentKind

TOKEN_SALT = "payments.receipt.verify.v1"  # noqa: S105 - a namespace for the signature, not a secret
TEMPLATE = "payments/receipt.html"
TITLE = "教育收费电子票据"


class ReceiptNotAvailable(Exception):
    """The order has not been paid: there is no receipt."""


class InvalidReceiptToken(Exception):
    """The token was not issued by this portal, or was altered, or its order is gone."""


def make_token(order: Order) -> str:
    return signing.Signer(salt=TOKEN_SALT).sign_object({"o": order.order_no, "r": order.receipt_no})


def read_token(token: str) -> tuple[str, str]:
    """(order number, receipt number) of an earlier QR token; :class:`InvalidReceiptToken` if forged."""
    try:
        data = signing.Signer(salt=TOKEN_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise InvalidReceiptToken("not a token issued by this portal") from exc
    if not isinstance(data, dict) or not isinstance(data.get("o"), str) or not isinstance(data.get("r"), str):
        raise InvalidReceiptToken("malformed token")
    return data["o"], data["r"]


def subject_key(order_no: str) -> str:
    return f"payments.order:{order_no}"


def receipt_document(order: Order):
    """The receipt's registered document: issued when the bill is paid (:func:`receipt_register`), or now
    for a receipt that was not registered yet. Raises :class:`ReceiptNotAvailable` before payment."""
    from portal.documents.services import document_ensure

    if order.state not in PAID_STATES or not order.receipt_no:
        raise ReceiptNotAvailable(order.order_no)
    return document_ensure(
        kind=DocumentKind.RECEIPT,
        case=order.case,
        subject_key=subject_key(order.order_no),
        fingerprint=order.receipt_no,
        holder_name=order.subject_name,
        title=TITLE,
        facts={
            "receipt_no": order.receipt_no,
            "payee": order.fee_item.payee,
            "item": order.fee_item.name,
            "bill": order.title,
            "amount": format_yuan(order.paid_fen),
        },
        download_path=reverse("api:payments-order-receipt", args=[order.order_no]),
        issued_on=timezone.localtime(order.paid_at, BUREAU_TZ).date(),
    )


def receipt_register(order: Order) -> None:
    """Called by the payment service when the bill is paid, inside its transaction."""
    receipt_document(order)


def receipt_void(order: Order, *, reason: str) -> int:
    """A full refund voids the receipt (红冲): its document is revoked. Inside the refund's transaction."""
    from portal.documents.services import document_revoke_for_case

    return document_revoke_for_case(
        case=order.case, subject_key=subject_key(order.order_no), include_receipts=True, reason=reason
    )


def verification_url(order: Order) -> str:
    """The address the receipt's QR code carries: ``<SITE_URL>/verify/<code>/``."""
    from portal.documents.selectors import verify_url

    return verify_url(receipt_document(order))


def document_for_token(token: str):
    """The registered receipt an earlier ``/payments/receipts/<token>/`` link names, or None."""
    from portal.documents.models import IssuedDocument
    from portal.documents.selectors import document_by_legacy_token

    document = document_by_legacy_token(token)
    if document is not None:
        return document
    try:
        order_no, receipt_no = read_token(token)
    except InvalidReceiptToken:
        return None
    return (
        IssuedDocument.objects.filter(
            kind=DocumentKind.RECEIPT, subject_key=subject_key(order_no), fingerprint=receipt_no
        )
        .order_by("-issued_at", "-pk")
        .first()
    )


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
