"""Reads of deliveries: what a case's detail shows (``"delivery"`` in contracts/api-services.md)."""

from portal.deliveries.models import Delivery


def latest_delivery(case) -> Delivery | None:
    return Delivery.objects.filter(case=case).order_by("-created_at", "-pk").first()


def delivery_for_case(case) -> dict | None:
    """``{"carrier", "tracking_no", "status"}`` of the case's latest delivery, or None when nothing has
    been sent. ``status`` is created | in_transit | delivered | failed (with ``failure_reason``)."""
    delivery = latest_delivery(case)
    if delivery is None:
        return None
    data = {"carrier": delivery.carrier, "tracking_no": delivery.tracking_no, "status": delivery.status}
    if delivery.failure_reason:
        data["failure_reason"] = delivery.failure_reason
    return data
