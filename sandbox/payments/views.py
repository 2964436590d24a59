"""The payment platform stand-in over HTTP, at /sandbox/payments/:

- ``api/orders/create/``, ``api/orders/query/``, ``api/orders/close/``, ``api/refunds/``,
  ``api/statement/`` — POST, JSON, signed by the merchant (``X-App-Key`` + HMAC, portal/core/http.py); a
  bad signature or a reused nonce is 401 before anything else, then the fault settings may add latency or
  answer 503. Answers: 200 ``{"code": "ok", "data": …}`` (the statement: a CSV file), 4xx
  ``{"code": "<reason>", "message": …}``;
- ``pay/<payment code>/`` — the page a family's QR code or pay link opens, where a tester pays, makes a
  payment fail, or cancels (back to the merchant, the order stays payable until it expires).

An unpaid order past its ``expire_at`` is closed by the platform itself the next time it is looked at,
and the merchant is notified (``trade.closed``, reason ``expired``).
"""

import csv
import datetime as dt
import io
import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import segno
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template import engines
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from portal.core.http import verify_signature
from sandbox.payments import delivery
from sandbox.payments.models import PlatformOrder, PlatformRefund, PlatformStatus

NONCE_TTL = 600
BUREAU_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
PAY_PAGE = Path(__file__).with_name("pay_page.html")


class Refusal(Exception):
    def __init__(self, code: str, message: str = "", status: int = 400):
        self.code, self.message, self.status = code, message, status
        super().__init__(code)


def ok(data: dict) -> JsonResponse:
    return JsonResponse({"code": "ok", "data": data}, json_dumps_params={"ensure_ascii": False})


# --- requests -------------------------------------------------------------------------------------------


def _authentic(request) -> str | None:
    """The merchant's app key when the request is signed by a known merchant with a fresh nonce."""
    merchant = request.headers.get("X-App-Key", "")
    secret, _notify = delivery.merchants().get(merchant, ("", ""))
    if not secret or not verify_signature(
        secret=secret,
        method=request.method,
        path=request.get_full_path(),
        headers=request.headers,
        body=request.body,
    ):
        raise Refusal("bad_signature", status=401)
    if not cache.add(f"sandbox:payments:nonce:{request.headers['X-Nonce']}", 1, NONCE_TTL):
        raise Refusal("replayed", status=401)
    return merchant


def _injected_fault() -> JsonResponse | None:
    fault, rng = delivery.draw()
    if fault is None:
        return None
    if fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    if rng.random() < fault.error_rate:
        return JsonResponse({"code": "error", "message": "platform busy (injected fault)"}, status=503)
    return None


def _text(payload: dict, name: str, *, max_length: int = 64, required: bool = True) -> str:
    value = payload.get(name)
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise Refusal("bad_request", f"{name}: a text of at most {max_length} characters")
    return value.strip()


def _amount(payload: dict, name: str = "amount_fen") -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Refusal("bad_request", f"{name}: a positive whole number of fen")
    return value


def _url(payload: dict, name: str, *, required: bool = True) -> str:
    value = _text(payload, name, max_length=500, required=required)
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise Refusal("bad_request", f"{name}: an http(s) URL") from None
    return value


def _order(merchant: str, payload: dict, *, lock: bool = False) -> PlatformOrder:
    qs = PlatformOrder.objects.select_for_update() if lock else PlatformOrder.objects
    order = qs.filter(merchant=merchant, out_trade_no=_text(payload, "out_trade_no")).first()
    if order is None:
        raise Refusal("not_found", "no such order", status=404)
    return order


def settle_expiry(order: PlatformOrder) -> PlatformOrder:
    """Close an unpaid order past its expiry (call inside a transaction, on a locked row)."""
    if order.status == PlatformStatus.NOTPAY and timezone.now() >= order.expire_at:
        _close(order, reason="expired")
    return order


def _close(order: PlatformOrder, *, reason: str) -> None:
    order.status, order.closed_reason, order.closed_at = PlatformStatus.CLOSED, reason, timezone.now()
    order.save(update_fields=["status", "closed_reason", "closed_at"])
    delivery.emit(order, "trade.closed", amount_fen=order.amount_fen, closed_reason=reason)


# --- operations -------------------------------------------------------------------------------------------


def create(request, merchant: str, payload: dict):
    out_trade_no = _text(payload, "out_trade_no")
    amount = _amount(payload)
    expire_at = parse_datetime(str(payload.get("expire_at") or ""))
    if expire_at is None or expire_at.tzinfo is None:
        raise Refusal("bad_request", "expire_at: an ISO 8601 time with its offset")
    fields = {
        "subject": _text(payload, "subject", max_length=200),
        "payer_name": _text(payload, "payer_name", max_length=100),
        "notify_url": _url(payload, "notify_url"),
        "return_url": _url(payload, "return_url", required=False),
    }
    with transaction.atomic():
        order = (
            PlatformOrder.objects.select_for_update()
            .filter(merchant=merchant, out_trade_no=out_trade_no)
            .first()
        )
        if order is not None:  # the same order sent again: the same answer
            if order.amount_fen != amount:
                raise Refusal("conflict", "this order number was registered with another amount", status=409)
            return ok(_as_json(request, settle_expiry(order)))
        if expire_at <= timezone.now():
            raise Refusal("expired", "expire_at is in the past")
        for _attempt in range(5):
            code = (
                f"3304{timezone.localtime(timezone.now(), BUREAU_TZ):%y%m%d}{secrets.randbelow(10**10):010d}"
            )
            try:
                with transaction.atomic():
                    order = PlatformOrder.objects.create(
                        merchant=merchant,
                        out_trade_no=out_trade_no,
                        payment_code=code,
                        amount_fen=amount,
                        expire_at=expire_at,
                        **fields,
                    )
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - 10^10 codes a day
            raise Refusal("error", "no free payment code", status=503)
    return ok(_as_json(request, order))


def query(request, merchant: str, payload: dict):
    with transaction.atomic():
        order = settle_expiry(_order(merchant, payload, lock=True))
    return ok(_as_json(request, order))


def close(request, merchant: str, payload: dict):
    with transaction.atomic():
        order = settle_expiry(_order(merchant, payload, lock=True))
        if order.status == PlatformStatus.SUCCESS:
            raise Refusal("already_paid", "the order has been paid", status=409)
        if order.status == PlatformStatus.NOTPAY:
            _close(order, reason="merchant")
    return ok(_as_json(request, order))


def refund(request, merchant: str, payload: dict):
    refund_no = _text(payload, "refund_no")
    amount = _amount(payload)
    reason = str(payload.get("reason") or "")[:300]
    with transaction.atomic():
        order = _order(merchant, payload, lock=True)
        existing = PlatformRefund.objects.filter(order=order, refund_no=refund_no).first()
        if existing is not None:
            if existing.amount_fen != amount:
                raise Refusal("conflict", "this refund number was used for another amount", status=409)
            return ok(_refund_json(existing, order))
        if order.status != PlatformStatus.SUCCESS:
            raise Refusal("not_paid", "only a paid order can be refunded", status=409)
        if amount > order.amount_fen - order.refunded_fen:
            raise Refusal(
                "exceeds_paid",
                f"at most {order.amount_fen - order.refunded_fen} fen can still be refunded",
                status=409,
            )
        made = PlatformRefund.objects.create(
            order=order,
            refund_no=refund_no,
            platform_refund_no=f"R{timezone.now():%Y%m%d%H%M%S}{secrets.token_hex(4)}",
            amount_fen=amount,
            reason=reason,
        )
        order.refunded_fen += amount
        order.save(update_fields=["refunded_fen"])
        delivery.emit(
            order,
            "refund.success",
            refund_no=refund_no,
            platform_refund_no=made.platform_refund_no,
            refund_fen=amount,
        )
    return ok(_refund_json(made, order))


def _refund_json(made: PlatformRefund, order: PlatformOrder) -> dict:
    return {
        "refund_no": made.refund_no,
        "platform_refund_no": made.platform_refund_no,
        "amount_fen": made.amount_fen,
        "refunded_fen": order.refunded_fen,
    }


def statement(request, merchant: str, payload: dict):
    """The day's payments and refunds (Asia/Shanghai) as CSV: what the merchant reconciles against."""
    day = parse_date(str(payload.get("date") or ""))
    if day is None:
        raise Refusal("bad_request", "date: YYYY-MM-DD")
    start = dt.datetime.combine(day, dt.time.min, tzinfo=BUREAU_TZ)
    end = start + dt.timedelta(days=1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "type",
            "out_trade_no",
            "trade_no",
            "payment_code",
            "amount_fen",
            "time",
            "refund_no",
            "platform_refund_no",
        ]
    )
    paid = PlatformOrder.objects.filter(merchant=merchant, paid_at__gte=start, paid_at__lt=end)
    for order in paid.order_by("paid_at", "pk"):
        writer.writerow(
            [
                "PAY",
                order.out_trade_no,
                order.trade_no,
                order.payment_code,
                order.amount_fen,
                order.paid_at.astimezone(BUREAU_TZ).isoformat(),
                "",
                "",
            ]
        )
    refunds = PlatformRefund.objects.filter(
        order__merchant=merchant, created_at__gte=start, created_at__lt=end
    )
    for made in refunds.select_related("order").order_by("created_at", "pk"):
        writer.writerow(
            [
                "REFUND",
                made.order.out_trade_no,
                made.order.trade_no,
                made.order.payment_code,
                made.amount_fen,
                made.created_at.astimezone(BUREAU_TZ).isoformat(),
                made.refund_no,
                made.platform_refund_no,
            ]
        )
    response = HttpResponse(out.getvalue().encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement-{day.isoformat()}.csv"'
    return response


OPERATIONS: dict[str, Callable] = {
    "orders/create": create,
    "orders/query": query,
    "orders/close": close,
    "refunds": refund,
    "statement": statement,
}


def _as_json(request, order: PlatformOrder) -> dict:
    return delivery.order_json(
        order, request.build_absolute_uri(reverse("sandbox:payments-pay", args=[order.payment_code]))
    )


@csrf_exempt
def api(request, operation: str):
    if request.method != "POST":
        return JsonResponse({"code": "method_not_allowed"}, status=405)
    handler = OPERATIONS.get(operation.strip("/"))
    try:
        merchant = _authentic(request)
        if handler is None:
            raise Refusal("no_such_interface", operation, status=404)
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            raise Refusal("bad_request", "body is not JSON") from None
        if not isinstance(payload, dict):
            raise Refusal("bad_request", "body must be a JSON object")
        fault = _injected_fault()
        if fault is not None:
            return fault
        return handler(request, merchant, payload)
    except Refusal as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)


# --- the pay page -----------------------------------------------------------------------------------------


def _page(request, context: dict, status: int = 200) -> HttpResponse:
    template = engines["django"].from_string(PAY_PAGE.read_text(encoding="utf-8"))
    return HttpResponse(template.render(context, request), status=status)


@require_http_methods(["GET", "POST"])
def pay_page(request, payment_code: str):
    """What the family sees after scanning the QR code. POST ``action``: pay, fail or cancel."""
    message = ""
    with transaction.atomic():
        order = get_object_or_404(PlatformOrder.objects.select_for_update(), payment_code=payment_code)
        settle_expiry(order)
        action = request.POST.get("action") if request.method == "POST" else None
        if action == "pay" and order.status == PlatformStatus.NOTPAY:
            now = timezone.now()
            order.status, order.paid_at = PlatformStatus.SUCCESS, now
            order.trade_no = f"T{now:%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"
            order.last_attempt = ""
            order.save(update_fields=["status", "paid_at", "trade_no", "last_attempt"])
            delivery.emit(
                order,
                "trade.success",
                payment_code=order.payment_code,
                trade_no=order.trade_no,
                amount_fen=order.amount_fen,
                paid_at=now.isoformat(),
            )
        elif action == "fail" and order.status == PlatformStatus.NOTPAY:
            order.last_attempt = "支付失败：余额不足（模拟） Payment failed: insufficient balance (simulated)"
            order.save(update_fields=["last_attempt"])
        elif action not in (None, "pay", "fail", "cancel"):
            message = "unknown action"
    if action == "pay" and order.status == PlatformStatus.SUCCESS and order.return_url:
        return redirect(f"{order.return_url}?platform_status=paid")
    if action == "cancel" and order.return_url:
        return redirect(f"{order.return_url}?platform_status=cancelled")
    qr = segno.make(request.build_absolute_uri(), error="m", micro=False).svg_data_uri(scale=4, border=2)
    yuan, fen = divmod(order.amount_fen, 100)
    context = {
        "order": order,
        "qr": qr,
        "message": message or order.last_attempt,
        "amount": f"{yuan:,}.{fen:02d}",
    }
    return _page(request, context, status=400 if message else 200)
