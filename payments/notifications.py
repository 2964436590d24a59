"""The payment platform's asynchronous notifications (支付结果通知): verify, log, apply exactly once.

The platform delivers each message at least once — possibly repeated, late, out of order — as a POST
signed like every request between the portal and another system (portal/core/http.py: HMAC-SHA256 over
method, path, timestamp, nonce and the body's SHA-256, with ``PAYMENT_NOTIFY_SECRET``). In order:

1. the signature must verify and the timestamp be within 5 minutes (else ``bad_signature``);
2. the nonce must be new (else ``replayed``: the same request sent again, e.g. by an eavesdropper);
3. the body must be a well-formed message (``malformed``);
4. the order (and refund) must exist and the amount match (``unknown_order``, ``amount_mismatch``);
5. the report must fit the order's state: a repeated report is a ``duplicate`` (acknowledged, nothing
   changes), a report that contradicts the state — paid after expired, closed after paid, a second
   transaction — is refused (``out_of_order``) and bureau staff are told.

Every message is written to ``PaymentNotification`` (admin: Payments › Payment notifications) with its
outcome, in the same transaction as the change it caused. Messages:

- ``trade.success``: ``out_trade_no``, ``payment_code``, ``trade_no``, ``amount_fen``, ``paid_at``;
- ``trade.closed``: ``out_trade_no``, ``amount_fen``, ``closed_reason`` (``expired`` | ``merchant``);
- ``refund.success``: ``out_trade_no``, ``refund_no``, ``platform_refund_no``, ``refund_fen``;

each with a unique ``notify_id`` and the ``event`` name.
"""

import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from payments import refunds, services
from payments.models import NotificationOutcome, Order, OrderState, PaidVia, PaymentNotification, Refund
from payments.money import fen_from_json
from portal.cases import workflow
from portal.core import http
from portal.core.http import verify_signature

log = logging.getLogger(__name__)

NONCE_TTL = 600  # seconds; longer than the signature's allowed clock skew
EVENTS = ("trade.success", "trade.closed", "refund.success")
BODY_KEPT = 4000

HTTP_STATUS = {
    NotificationOutcome.APPLIED: 200,
    NotificationOutcome.DUPLICATE: 200,
    NotificationOutcome.BAD_SIGNATURE: 401,
    NotificationOutcome.REPLAYED: 401,
    NotificationOutcome.MALFORMED: 400,
    NotificationOutcome.UNKNOWN_ORDER: 404,
    NotificationOutcome.AMOUNT_MISMATCH: 422,
    NotificationOutcome.OUT_OF_ORDER: 409,
}


@dataclass(frozen=True)
class Message:
    notify_id: str
    event: str
    out_trade_no: str
    amount_fen: int | None
    data: dict


def _text(data: dict, name: str, errors: dict, *, required: bool = True, max_length: int = 64) -> str:
    value = data.get(name)
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        errors[name] = [_("A non-empty text of at most %(n)d characters.") % {"n": max_length}]
        return ""
    return value.strip()


def _amount(data: dict, name: str, errors: dict) -> int | None:
    try:
        return fen_from_json(data.get(name), field=name)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return None


def parse_message(body: bytes) -> Message:
    """The message in ``body``, or a ValidationError naming each bad field."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError({"body": [_("The body is not JSON.")]}) from None
    if not isinstance(data, dict):
        raise ValidationError({"body": [_("The body must be a JSON object.")]})
    errors: dict[str, list[str]] = {}
    notify_id = _text(data, "notify_id", errors)
    event = data.get("event")
    if event not in EVENTS:
        errors["event"] = [_("One of %(events)s.") % {"events": ", ".join(EVENTS)}]
    out_trade_no = _text(data, "out_trade_no", errors)
    amount = None
    if event == "trade.success":
        _text(data, "trade_no", errors)
        _text(data, "payment_code", errors, required=False)
        amount = _amount(data, "amount_fen", errors)
        paid_at = parse_datetime(str(data.get("paid_at") or ""))
        if paid_at is None or paid_at.tzinfo is None:
            errors["paid_at"] = [_("An ISO 8601 time with its offset.")]
    elif event == "trade.closed":
        amount = _amount(data, "amount_fen", errors)
        if data.get("closed_reason") not in ("expired", "merchant"):
            errors["closed_reason"] = [_("expired or merchant.")]
    elif event == "refund.success":
        _text(data, "refund_no", errors)
        _text(data, "platform_refund_no", errors)
        amount = _amount(data, "refund_fen", errors)
    if errors:
        raise ValidationError(errors)
    return Message(notify_id=notify_id, event=event, out_trade_no=out_trade_no, amount_fen=amount, data=data)


def _record(
    *, outcome: str, detail: str = "", body: bytes, message: Message | None = None, order: Order | None = None
) -> PaymentNotification:
    text = body.decode("utf-8", errors="replace")[:BODY_KEPT]
    if outcome not in (NotificationOutcome.APPLIED, NotificationOutcome.DUPLICATE):
        log.warning(
            "payment notification refused (%s): %s %s",
            outcome,
            message.out_trade_no if message else "",
            detail,
        )
    return PaymentNotification.objects.create(
        notify_id=message.notify_id if message else "",
        event=message.event if message else "",
        order_no=message.out_trade_no if message else "",
        order=order,
        amount_fen=message.amount_fen if message else None,
        outcome=outcome,
        detail=str(detail)[:300],
        body=text,
    )


def nonce_first_use(nonce: str) -> bool:
    """True the first time ``nonce`` is seen by any process (portal.core.http.nonce_first_use)."""
    return http.nonce_first_use(nonce, namespace="payments:notify", ttl=NONCE_TTL)


def notification_receive(*, method: str, path: str, headers, body: bytes) -> PaymentNotification:
    """Check and apply one notification; returns its log row (``outcome``; :data:`HTTP_STATUS` gives the
    answer to send). Never raises for bad input."""
    secret = settings.PAYMENT_NOTIFY_SECRET
    authentic = (
        bool(secret)
        and headers.get("X-App-Key", "") == settings.PAYMENT_APP_KEY
        and verify_signature(secret=secret, method=method, path=path, headers=headers, body=body)
    )
    if not authentic:
        return _record(
            outcome=NotificationOutcome.BAD_SIGNATURE,
            detail=_("Signature, key or timestamp did not verify.") if secret else _("No notify key set."),
            body=body,
        )
    if not nonce_first_use(headers.get("X-Nonce", "")):
        return _record(outcome=NotificationOutcome.REPLAYED, detail=_("Nonce already used."), body=body)
    try:
        message = parse_message(body)
    except ValidationError as exc:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return _record(outcome=NotificationOutcome.MALFORMED, detail=detail, body=body)

    with transaction.atomic():
        if message.event == "trade.success":
            result = services.order_confirm_paid(
                order_no=message.out_trade_no,
                amount_fen=message.amount_fen,
                trade_no=message.data["trade_no"].strip(),
                paid_at=parse_datetime(message.data["paid_at"]),
                via=PaidVia.NOTIFICATION,
                payment_code=str(message.data.get("payment_code") or "").strip(),
            )
        elif message.event == "trade.closed":
            result = _closed(message)
        else:
            result = _refunded(message)
        return _record(
            outcome=result.outcome, detail=result.detail, body=body, message=message, order=result.order
        )


def _closed(message: Message) -> services.Outcome:
    """The platform closed an unpaid order (its own expiry, or the portal's request)."""
    pk = Order.objects.filter(order_no=message.out_trade_no).values_list("pk", flat=True).first()
    if pk is None:
        return services.Outcome(NotificationOutcome.UNKNOWN_ORDER, _("No such order."))
    with transaction.atomic():
        order = workflow.lock(Order, pk)
        if message.amount_fen != order.amount_fen:
            return services.Outcome(NotificationOutcome.AMOUNT_MISMATCH, _("Amount differs."), order)
        if order.state in (OrderState.EXPIRED, OrderState.CLOSED):
            return services.Outcome(NotificationOutcome.DUPLICATE, _("Already closed here."), order)
        if order.state != OrderState.CREATED:
            detail = _("The platform reports order %(no)s closed, but it is %(state)s here.") % {
                "no": order.order_no,
                "state": order.get_state_display(),
            }
            services.alert_bureau_once(
                order,
                NotificationOutcome.OUT_OF_ORDER,
                subject=_("Closed order reported paid here: %(no)s") % {"no": order.order_no},
                body=detail,
            )
            return services.Outcome(NotificationOutcome.OUT_OF_ORDER, detail, order)
        if can_proceed(order.expire):
            services.expire_locked(order)
        else:  # closed at the platform before its due time: by the bureau there
            services.close_locked(order, by=None, reason=_("Closed at the payment platform."))
        return services.Outcome(NotificationOutcome.APPLIED, _("Closed."), order)


def _refunded(message: Message) -> services.Outcome:
    refund_no = message.data["refund_no"].strip()
    of_order = Refund.objects.filter(refund_no=refund_no).values_list("order__order_no", flat=True).first()
    if of_order is None:
        return services.Outcome(NotificationOutcome.UNKNOWN_ORDER, _("No such refund."))
    if of_order != message.out_trade_no:
        return services.Outcome(NotificationOutcome.OUT_OF_ORDER, _("The refund belongs to another order."))
    return refunds.refund_complete(
        refund_no=refund_no,
        platform_refund_no=message.data["platform_refund_no"].strip(),
        amount_fen=message.amount_fen,
    )
