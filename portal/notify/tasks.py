"""Delivery of SMS and e-mail copies of site messages.

No database transaction is held while the gateway is called (a slow gateway must not hold row locks, and
on SQLite a held write lock would block the SMS stand-in itself). Delivery is at least once: a delivery
marked sent is never sent again; two workers racing on the same pending delivery may both send."""

import logging

from celery import shared_task
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone

from portal.notify.models import Delivery, DeliveryChannel, DeliveryStatus
from portal.notify.sms import SmsError, send_sms

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@shared_task(name="notify.deliver", bind=True, acks_late=True, max_retries=MAX_ATTEMPTS)
def deliver(self, delivery_id: int) -> str:
    delivery = Delivery.objects.select_related("message").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "skipped"
    pending = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
    try:
        if delivery.channel == DeliveryChannel.SMS:
            send_sms(phone=delivery.address, text=f"【教育一网通办】{delivery.message.subject}")
        else:
            send_mail(delivery.message.subject, delivery.message.body, None, [delivery.address])
    except (SmsError, OSError) as exc:
        attempts = delivery.attempts + 1
        pending.update(
            attempts=F("attempts") + 1,
            last_error=str(exc)[:300],
            status=DeliveryStatus.FAILED if attempts >= MAX_ATTEMPTS else DeliveryStatus.PENDING,
        )
        log.warning("delivery %s failed (attempt %s): %s", delivery_id, attempts, exc)
        if attempts < MAX_ATTEMPTS:
            raise self.retry(exc=exc, countdown=2**attempts) from exc
        return "failed"
    pending.update(attempts=F("attempts") + 1, status=DeliveryStatus.SENT, sent_at=timezone.now())
    return "sent"
