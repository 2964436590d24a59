"""Thin tasks: load by ID, call a service. Idempotent, acks_late, queued only after commit; the sweep
(every few minutes, CELERY_BEAT_SCHEDULE) re-queues whatever a lost message or a dead worker left."""

import datetime as dt
import logging

from celery import shared_task

from payments import billing, platform, reconciliation, refunds, services
from payments.models import Order
from portal.cases.services import local_today

log = logging.getLogger(__name__)


@shared_task(name="payments.register_order", bind=True, acks_late=True, max_retries=8)
def register_order(self, order_id: int) -> str:
    """Fetch the payment code (缴款码) of a new order from the platform; while the platform cannot be
    reached, try again 5 s, 10 s, 20 s … (at most 10 min) apart — and the sweep re-queues it after that.
    Run eagerly (tests, debugging) it is tried once."""
    try:
        return services.order_register(order_id=order_id)
    except platform.PlatformUnavailable as exc:
        if self.request.is_eager:
            return "waiting"
        raise self.retry(exc=exc, countdown=min(600, 5 * 2**self.request.retries)) from exc


@shared_task(name="payments.execute_refund", acks_late=True)
def execute_refund(refund_id: int) -> str:
    return refunds.refund_execute(refund_id=refund_id)


@shared_task(name="payments.sweep", acks_late=True)
def sweep() -> dict:
    """Expire unpaid orders past their due time (closing them at the platform first), re-queue
    registrations that have not happened and re-send refunds the platform has not answered."""
    expired = 0
    for order_id in services.orders_due_for_expiry().values_list("pk", flat=True)[:500]:
        order = Order.objects.filter(pk=order_id).first()
        if order is not None and services.order_expire(order=order) == "expired":
            expired += 1
    registrations = list(services.orders_awaiting_registration().values_list("pk", flat=True)[:500])
    for order_id in registrations:
        register_order.delay(order_id)
    retried = list(refunds.refunds_awaiting_platform().values_list("pk", flat=True)[:200])
    for refund_id in retried:
        execute_refund.delay(refund_id)
    result = {"expired": expired, "registrations": len(registrations), "refunds": len(retried)}
    if any(result.values()):
        log.info("payments sweep: %s", result)
    return result


@shared_task(
    name="payments.reconcile",
    bind=True,
    acks_late=True,
    max_retries=6,
)
def reconcile(self, day: str | None = None) -> str:
    """Reconcile a day's statement (yesterday by default); retried hourly while the statement is not
    available."""
    date = dt.date.fromisoformat(day) if day else reconciliation.yesterday()
    run = reconciliation.reconcile(day=date)
    if run.status == "failed" and self.request.retries < self.max_retries and not self.request.is_eager:
        raise self.retry(args=(date.isoformat(),), countdown=3600)
    return run.status


@shared_task(name="payments.issue_monthly_bills", acks_late=True)
def issue_monthly_bills(period: str | None = None) -> str:
    """The kindergarten care bills of a month (this month by default). Idempotent."""
    today = local_today()
    year, month = (int(x) for x in period.split("-")) if period else (today.year, today.month)
    return billing.kindergarten_bills_issue(year=year, month=month).summary()
