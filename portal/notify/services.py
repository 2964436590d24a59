"""Sending messages. A site message is written in the caller's transaction; SMS and e-mail deliveries are
queued after commit, so a rolled-back action sends nothing."""

from functools import partial

from django.db import transaction

from portal.notify.models import Delivery, DeliveryChannel, Message


def message_send(*, recipient, subject: str, body: str, case=None) -> Message:
    message = Message.objects.create(recipient=recipient, case=case, subject=subject, body=body)
    deliveries = []
    if recipient.phone:
        deliveries.append(Delivery(message=message, channel=DeliveryChannel.SMS, address=recipient.phone))
    if recipient.email:
        deliveries.append(Delivery(message=message, channel=DeliveryChannel.EMAIL, address=recipient.email))
    for delivery in Delivery.objects.bulk_create(deliveries):
        from portal.notify.tasks import deliver

        transaction.on_commit(partial(deliver.delay, delivery.pk))
    return message
