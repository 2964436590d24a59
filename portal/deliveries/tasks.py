"""Thin tasks: take IDs, idempotent, acks_late, queued after commit; the sweep re-queues lost work."""

import logging

from celery import shared_task

from portal.deliveries import courier, services

log = logging.getLogger(__name__)


@shared_task(name="deliveries.register_shipment", bind=True, acks_late=True, max_retries=8)
def register_shipment(self, delivery_id: int) -> str:
    """Get the tracking number of a new delivery; while the courier cannot be reached, try again 5 s, 10 s,
    20 s … (at most 10 min) apart, and the sweep after that. Run eagerly (tests) it is tried once."""
    try:
        return services.delivery_register(delivery_id=delivery_id)
    except courier.CourierUnavailable as exc:
        if self.request.is_eager:
            return "waiting"
        raise self.retry(exc=exc, countdown=min(600, 5 * 2**self.request.retries)) from exc
    except courier.CourierRefused as exc:
        log.error("courier refused delivery %s: %s", delivery_id, exc)
        return "refused"


@shared_task(name="deliveries.sweep", acks_late=True)
def sweep() -> int:
    """Re-queue the registration of deliveries that have no tracking number yet."""
    ids = list(services.deliveries_awaiting_registration().values_list("pk", flat=True)[:500])
    for pk in ids:
        register_shipment.delay(pk)
    return len(ids)
