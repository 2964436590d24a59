"""Client of the unified public payment platform (统一公共支付平台), over the portal's signed HTTP client.

Requests are JSON, signed with ``PAYMENT_APP_KEY`` / ``PAYMENT_APP_SECRET`` (portal/core/http.py) and
answered with an envelope ``{"code": "ok", "data": {…}}`` or ``{"code": "<error>", "message": …}``. Every
operation is idempotent at the platform (the order number, the refund number), so a request whose answer
was lost is simply sent again. No call is made inside a database transaction.

- :class:`PlatformUnavailable`: no answer, a timeout or a 5xx — try again later;
- :class:`PlatformRefused`: a 4xx with the platform's ``code`` (``already_paid``, ``not_found`` …).
"""

import datetime as dt
import json
import logging
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.utils.dateparse import parse_datetime

from portal.core import http

logger = logging.getLogger(__name__)


class PlatformError(Exception):
    pass


class PlatformUnavailable(PlatformError):
    """The platform did not answer usefully; nothing is known about the outcome."""


class PlatformRefused(PlatformError):
    """The platform answered and said no."""

    def __init__(self, code: str, message: str = "", status: int = 400):
        self.code, self.message, self.status = code, message, status
        super().__init__(f"{code}: {message}" if message else code)


@dataclass(frozen=True)
class PlatformOrder:
    out_trade_no: str
    payment_code: str
    pay_url: str
    status: str  # NOTPAY | SUCCESS | CLOSED
    amount_fen: int
    trade_no: str = ""
    paid_at: dt.datetime | None = None
    refunded_fen: int = 0
    closed_reason: str = ""

    @property
    def paid(self) -> bool:
        return self.status == "SUCCESS"

    @classmethod
    def from_json(cls, data: dict) -> "PlatformOrder":
        try:
            paid_at = parse_datetime(data["paid_at"]) if data.get("paid_at") else None
            amount = data["amount_fen"]
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise TypeError("amount_fen")
            return cls(
                out_trade_no=str(data["out_trade_no"]),
                payment_code=str(data["payment_code"]),
                pay_url=str(data["pay_url"]),
                status=str(data["status"]),
                amount_fen=amount,
                trade_no=str(data.get("trade_no") or ""),
                paid_at=paid_at,
                refunded_fen=int(data.get("refunded_fen") or 0),
                closed_reason=str(data.get("closed_reason") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlatformUnavailable(f"unexpected order data from the platform: {exc}") from exc


def _call(operation: str, payload: dict) -> httpx.Response:
    secret = settings.PAYMENT_APP_SECRET
    if not secret:  # a deployment without the secret: say so in the log, and to the user "try later"
        logger.error("PAYMENT_APP_SECRET is not set: no request is sent to the payment platform")
        raise PlatformUnavailable(f"{operation}: PAYMENT_APP_SECRET is not set")
    url = settings.PAYMENT_PLATFORM_URL.rstrip("/") + "/" + operation.strip("/") + "/"
    try:
        response = http.signed_post_json(
            url=url,
            app_key=settings.PAYMENT_APP_KEY,
            secret=secret,
            payload=payload,
            timeout=settings.PAYMENT_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise PlatformUnavailable(f"{operation}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 500:
        raise PlatformUnavailable(f"{operation}: HTTP {response.status_code}")
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = {}
        raise PlatformRefused(
            str(body.get("code") or "refused"), str(body.get("message") or ""), response.status_code
        )
    return response


def _data(operation: str, payload: dict) -> dict:
    response = _call(operation, payload)
    try:
        body = response.json()
    except ValueError as exc:
        raise PlatformUnavailable(f"{operation}: the answer is not JSON") from exc
    if not isinstance(body, dict) or body.get("code") != "ok" or not isinstance(body.get("data"), dict):
        raise PlatformUnavailable(f"{operation}: unexpected answer {str(body)[:120]}")
    return body["data"]


def create_order(
    *,
    out_trade_no: str,
    amount_fen: int,
    subject: str,
    payer_name: str,
    expire_at: dt.datetime,
    notify_url: str,
    return_url: str,
) -> PlatformOrder:
    """Register the order; the platform answers with its payment code (缴款码) and pay link. Sending the
    same order again returns the same answer."""
    data = _data(
        "orders/create",
        {
            "out_trade_no": out_trade_no,
            "amount_fen": amount_fen,
            "subject": subject,
            "payer_name": payer_name,
            "expire_at": expire_at.isoformat(),
            "notify_url": notify_url,
            "return_url": return_url,
        },
    )
    return PlatformOrder.from_json(data)


def query_order(*, out_trade_no: str) -> PlatformOrder:
    return PlatformOrder.from_json(_data("orders/query", {"out_trade_no": out_trade_no}))


def close_order(*, out_trade_no: str) -> PlatformOrder:
    """Close an unpaid order so that it can no longer be paid. Refused with ``already_paid`` (then
    :func:`query_order` tells how it was paid) or ``not_found`` (the platform never registered it)."""
    return PlatformOrder.from_json(_data("orders/close", {"out_trade_no": out_trade_no}))


@dataclass(frozen=True)
class PlatformRefund:
    refund_no: str
    platform_refund_no: str
    amount_fen: int
    refunded_fen: int  # the order's refunded total at the platform after this refund


def refund(*, out_trade_no: str, refund_no: str, amount_fen: int, reason: str) -> PlatformRefund:
    """Return ``amount_fen`` of a paid order to the payer. Idempotent by ``refund_no``; refused with
    ``exceeds_paid`` when it would refund more than was paid."""
    data = _data(
        "refunds",
        {"out_trade_no": out_trade_no, "refund_no": refund_no, "amount_fen": amount_fen, "reason": reason},
    )
    try:
        return PlatformRefund(
            refund_no=str(data["refund_no"]),
            platform_refund_no=str(data["platform_refund_no"]),
            amount_fen=int(data["amount_fen"]),
            refunded_fen=int(data["refunded_fen"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlatformUnavailable(f"unexpected refund data from the platform: {exc}") from exc


def statement(*, date: dt.date) -> bytes:
    """The day's statement file (对账单, CSV in UTF-8): every payment and refund the platform booked on
    ``date`` (Asia/Shanghai)."""
    response = _call("statement", {"date": date.isoformat()})
    content_type = response.headers.get("Content-Type", "")
    if not content_type.startswith("text/csv"):
        try:
            detail = json.dumps(response.json())[:120]
        except ValueError:
            detail = content_type
        raise PlatformUnavailable(f"statement: not a CSV file ({detail})")
    return response.content
