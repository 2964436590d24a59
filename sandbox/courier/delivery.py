"""How the courier stand-in moves parcels on and tells the sender: each step writes a
``CourierNotification`` in the caller's transaction; after commit it is POSTed, signed with the sender's
notify key through the portal's signed HTTP client, and re-sent until the sender answers 200."""

import json
import secrets
from functools import partial

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.core import http
from sandbox.courier.models import CourierFault, CourierNotification, CourierShipment, ShipmentStatus

NEXT = {
    ShipmentStatus.CREATED: ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.IN_TRANSIT: ShipmentStatus.DELIVERED,
}


def senders() -> dict[str, tuple[str, str]]:
    """App key → (request secret, notify secret): ``SANDBOX_COURIER_SENDERS`` if set, else the portal's."""
    return getattr(settings, "SANDBOX_COURIER_SENDERS", None) or {
        settings.COURIER_APP_KEY: (settings.COURIER_APP_SECRET, settings.COURIER_NOTIFY_SECRET)
    }


def fault() -> CourierFault | None:
    return CourierFault.objects.order_by("pk").first()


def advance(shipment: CourierShipment, to: str | None = None, reason: str = "") -> CourierNotification | None:
    """Move ``shipment`` (locked, in a transaction) to ``to`` — by default its next step, which is a failed
    delivery when the fault says so — and owe the sender a callback. None when it cannot move."""
    if shipment.status in (ShipmentStatus.DELIVERED, ShipmentStatus.FAILED):
        return None
    if to is None:
        to = NEXT[shipment.status]
        injected = fault()
        if to == ShipmentStatus.DELIVERED and injected is not None and injected.fail_deliveries:
            to, reason = ShipmentStatus.FAILED, injected.failure_reason
    if to not in ShipmentStatus.values or to == ShipmentStatus.CREATED or to == shipment.status:
        return None
    shipment.status = to
    shipment.failure_reason = (
        (reason or "投递失败（模拟） failed (simulated)")[:300] if to == "failed" else ""
    )
    shipment.save(update_fields=["status", "failure_reason", "updated_at"])
    return emit(shipment)


def emit(shipment: CourierShipment) -> CourierNotification:
    notify_id = f"K{timezone.now():%Y%m%d%H%M%S}{secrets.token_hex(6)}"
    payload = {
        "notify_id": notify_id,
        "order_no": shipment.order_no,
        "tracking_no": shipment.tracking_no,
        "status": shipment.status,
        "at": timezone.now().isoformat(),
    }
    if shipment.failure_reason:
        payload["reason"] = shipment.failure_reason
    notification = CourierNotification.objects.create(shipment=shipment, notify_id=notify_id, payload=payload)
    transaction.on_commit(partial(_queue, notification.pk))
    return notification


def _queue(notification_id: int) -> None:
    from sandbox.courier.tasks import deliver

    deliver.delay(notification_id)


def send(notification_id: int) -> str:
    """POST one callback. Returns delivered | refused (a 4xx: final) | retry | skipped."""
    notification = CourierNotification.objects.select_related("shipment").filter(pk=notification_id).first()
    if notification is None:
        return "skipped"
    _secret, notify_secret = senders().get(notification.shipment.sender, ("", ""))
    if not notify_secret:
        return "refused"
    status, error = None, ""
    try:
        response = http.signed_post_json(
            url=notification.shipment.callback_url,
            app_key=notification.shipment.sender,
            secret=notify_secret,
            payload=notification.payload,
            timeout=10.0,
        )
        status = response.status_code
        if status == 200:
            result = "delivered"
        elif 400 <= status < 500:
            result, error = "refused", json.dumps(response.text[:200], ensure_ascii=False)
        else:
            result, error = "retry", f"HTTP {status}"
    except httpx.HTTPError as exc:
        result, error = "retry", f"{type(exc).__name__}: {exc}"[:300]
    fields = {"attempts": notification.attempts + 1, "last_status": status, "last_error": error[:300]}
    if result == "delivered" and notification.delivered_at is None:
        fields["delivered_at"] = timezone.now()
    CourierNotification.objects.filter(pk=notification.pk).update(**fields)
    return result
