"""How the platform stand-in tells merchants what happened: at least once, maybe repeated, maybe late.

:func:`emit` writes a ``PlatformNotification`` in the caller's transaction; after commit the fault
settings decide its fate — dropped (never sent: the merchant must find the payment by reconciliation),
sent once, or sent three times — and each copy is queued with a random delay up to ``max_delay_ms`` (so
copies and messages arrive out of order). A copy is POSTed, signed with the merchant's notify key through
the portal's signed HTTP client, and re-sent with backoff until the merchant answers 200
``{"code": "success"}``; a 4xx answer is final (the merchant refused the message)."""

import json
import random
import secrets
from functools import partial

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.core import http
from sandbox.payments.models import PaymentFault, PlatformNotification, PlatformOrder

REPEATED_COPIES = 3
_system_random = random.SystemRandom()


def merchants() -> dict[str, tuple[str, str]]:
    """App key → (request secret, notify secret) of the merchants the platform knows:
    ``SANDBOX_PAYMENT_MERCHANTS`` if set, else the portal's own keys (so a test can change the portal's
    secret and see it refused)."""
    return getattr(settings, "SANDBOX_PAYMENT_MERCHANTS", None) or {
        settings.PAYMENT_APP_KEY: (settings.PAYMENT_APP_SECRET, settings.PAYMENT_NOTIFY_SECRET)
    }


def draw() -> tuple[PaymentFault | None, random.Random]:
    """The fault settings and this draw's random source (reproducible with a seed)."""
    fault = PaymentFault.objects.order_by("pk").first()
    if fault is None:
        return None, _system_random
    with transaction.atomic():
        locked = PaymentFault.objects.select_for_update().get(pk=fault.pk)
        locked.draws += 1
        PaymentFault.objects.filter(pk=locked.pk).update(draws=locked.draws)
    if locked.seed is None:
        return locked, _system_random
    return locked, random.Random(f"{locked.seed}:{locked.draws}")  # noqa: S311 - a test pattern, not crypto


def order_json(order: PlatformOrder, pay_url: str) -> dict:
    return {
        "out_trade_no": order.out_trade_no,
        "payment_code": order.payment_code,
        "pay_url": pay_url,
        "status": order.status,
        "amount_fen": order.amount_fen,
        "refunded_fen": order.refunded_fen,
        "trade_no": order.trade_no,
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "closed_reason": order.closed_reason,
    }


def emit(order: PlatformOrder, event: str, **fields) -> PlatformNotification:
    """Owe the merchant a notification about ``order``; it is scheduled once the transaction commits."""
    notify_id = f"N{timezone.now():%Y%m%d%H%M%S}{secrets.token_hex(6)}"
    payload = {"notify_id": notify_id, "event": event, "out_trade_no": order.out_trade_no, **fields}
    notification = PlatformNotification.objects.create(
        order=order, notify_id=notify_id, event=event, payload=payload
    )
    transaction.on_commit(partial(schedule, notification.pk))
    return notification


def schedule(notification_id: int) -> int:
    """Apply the fault settings and queue the copies; returns how many were queued."""
    from sandbox.payments.tasks import deliver

    fault, rng = draw()
    if fault is not None and rng.random() < fault.drop_rate:
        PlatformNotification.objects.filter(pk=notification_id).update(dropped=True)
        return 0
    copies = REPEATED_COPIES if fault is not None and rng.random() < fault.duplicate_rate else 1
    PlatformNotification.objects.filter(pk=notification_id).update(copies=copies)
    delays = [rng.uniform(0, fault.max_delay_ms / 1000) if fault else 0.0 for _ in range(copies)]
    for delay in delays:
        deliver.apply_async((notification_id,), countdown=round(delay, 3))
    return copies


def send(notification_id: int) -> str:
    """POST one copy. Returns delivered | refused (a 4xx: final) | retry (no answer, 5xx) | skipped."""
    notification = PlatformNotification.objects.select_related("order").filter(pk=notification_id).first()
    if notification is None or notification.dropped:
        return "skipped"
    order = notification.order
    _secret, notify_secret = merchants().get(order.merchant, ("", ""))
    if not notify_secret:
        PlatformNotification.objects.filter(pk=notification.pk).update(
            last_error="merchant has no notify key"
        )
        return "refused"
    status, error = None, ""
    try:
        response = http.signed_post_json(
            url=order.notify_url,
            app_key=order.merchant,
            secret=notify_secret,
            payload=notification.payload,
            timeout=10.0,
        )
        status = response.status_code
        try:
            code = response.json().get("code")
        except (ValueError, AttributeError):
            code = None
        if status == 200 and code == "success":
            result = "delivered"
        elif 400 <= status < 500:
            result, error = "refused", json.dumps(response.text[:200], ensure_ascii=False)
        else:
            result, error = "retry", f"HTTP {status}"
    except httpx.HTTPError as exc:
        result, error = "retry", f"{type(exc).__name__}: {exc}"[:300]
    now = timezone.now()
    fields = {"attempts": notification.attempts + 1, "last_status": status, "last_error": error[:300]}
    if result == "delivered" and notification.delivered_at is None:
        fields["delivered_at"] = now
    PlatformNotification.objects.filter(pk=notification.pk).update(**fields)
    return result
