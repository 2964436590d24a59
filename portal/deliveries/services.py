"""Deliveries: create (then register with the courier after commit), and apply the courier's reports.

Each function is keyword-only, runs its writes in one ``transaction.atomic`` with the delivery's row locked,
writes a typed case event and messages the applicant; the courier is called only outside a transaction.
"""

import logging
import re
import secrets
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.cases import workflow
from portal.cases.services import case_log_event
from portal.cases.workflow import perform
from portal.deliveries import courier
from portal.deliveries.models import CallbackOutcome, Delivery, DeliveryAction, DeliveryStatus
from portal.deliveries.signals import delivery_reported
from portal.notify.services import message_send

log = logging.getLogger(__name__)

_MOBILE = re.compile(r"1[3-9]\d{9}")
# how far each status is along the way; a report that is not further along than the row changes nothing
_RANK = {
    DeliveryStatus.CREATED: 0,
    DeliveryStatus.IN_TRANSIT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.FAILED: 2,
}


@dataclass(frozen=True)
class Outcome:
    outcome: str
    detail: str = ""
    delivery: Delivery | None = None


def callback_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("api:deliveries-callback")


def _tell_applicant(delivery: Delivery, *, subject: str, body: str) -> None:
    message_send(recipient=delivery.case.applicant, subject=subject, body=body, case=delivery.case)


def delivery_create(*, case, item: str, recipient_name: str, phone: str, address: str, by, carrier: str = ""):
    """Send ``item`` of ``case`` by courier. Bad input is a ValidationError per field. The shipment is
    registered with the courier after commit (task ``deliveries.register_shipment``)."""
    errors: dict[str, list[str]] = {}
    item = (item or "").strip()
    recipient_name = (recipient_name or "").strip()
    phone = re.sub(r"[\s-]", "", phone or "")
    address = " ".join((address or "").split())
    if not item or len(item) > 200:
        errors["item"] = [_("Say what is sent (at most 200 characters).")]
    if not recipient_name or len(recipient_name) > 100:
        errors["recipient_name"] = [_("Enter the recipient's name (at most 100 characters).")]
    if not _MOBILE.fullmatch(phone):
        errors["phone"] = [_("Enter an 11-digit mobile number.")]
    if len(address) < 5 or len(address) > 300:
        errors["address"] = [_("Enter the full delivery address (5 to 300 characters).")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        delivery = Delivery.objects.create(
            case=case,
            item=item,
            order_no=f"JYD{timezone.localdate():%Y%m%d}{secrets.token_hex(6).upper()}",
            recipient_name=recipient_name,
            recipient_phone=phone,
            address=address,
            carrier=carrier or settings.COURIER_CARRIER,
        )
        case_log_event(
            case=case,
            action=DeliveryAction.CREATED,
            by=by,
            to_state=delivery.status,
            data={"delivery": delivery.pk, "item": item, "carrier": delivery.carrier},
        )
        _queue_registration(delivery)
    return delivery


def _queue_registration(delivery: Delivery) -> None:
    from portal.deliveries.tasks import register_shipment

    transaction.on_commit(partial(register_shipment.delay, delivery.pk))


def delivery_register(*, delivery_id: int) -> str:
    """Register the shipment with the courier and keep its tracking number. Idempotent: a delivery that
    has its number is left alone. Returns registered | already | gone. Raises CourierUnavailable (the task
    retries) — the error is kept on the row for staff."""
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    if delivery.tracking_no:
        return "already"
    try:  # outside any transaction: the courier may be slow or down
        shipment = courier.create_shipment(
            order_no=delivery.order_no,
            recipient_name=delivery.recipient_name,
            phone=delivery.recipient_phone,
            address=delivery.address,
            item=delivery.item,
            callback_url=callback_url(),
        )
    except courier.CourierError as exc:
        Delivery.objects.filter(pk=delivery.pk).update(last_error=str(exc)[:300])
        raise
    with transaction.atomic():
        delivery = workflow.lock(Delivery, delivery_id)
        if delivery.tracking_no:
            return "already"
        delivery.tracking_no, delivery.registered_at, delivery.last_error = (
            shipment.tracking_no,
            timezone.now(),
            "",
        )
        delivery.save(update_fields=["tracking_no", "registered_at", "last_error", "updated_at"])
        case_log_event(
            case=delivery.case,
            action=DeliveryAction.REGISTERED,
            data={"delivery": delivery.pk, "carrier": delivery.carrier, "tracking_no": delivery.tracking_no},
        )
        _tell_applicant(
            delivery,
            subject=_("%(item)s is being sent to you") % {"item": delivery.item},
            body=_(
                "%(item)s of case %(reference_no)s is sent by %(carrier)s, tracking number %(tracking_no)s."
            )
            % {
                "item": delivery.item,
                "reference_no": delivery.case.reference_no,
                "carrier": delivery.carrier,
                "tracking_no": delivery.tracking_no,
            },
        )
    return "registered"


def deliveries_awaiting_registration():
    """Deliveries the courier has not registered yet (a lost task, the courier down): the sweep re-queues
    them."""
    return Delivery.objects.filter(tracking_no="", status=DeliveryStatus.CREATED)


def delivery_report(*, tracking_no: str, status: str, at, reason: str = "", order_no: str = "") -> Outcome:
    """Apply the courier's report that shipment ``tracking_no`` reached ``status`` at ``at``.

    Sane for at-least-once, out-of-order delivery: the same status again is a ``duplicate``; a status not
    further along than the row's (in transit after delivered) is ``stale``; both change nothing. A
    delivered report overtaking the in-transit one moves straight to delivered. A report that overtook
    the courier's answer to the registration (found by ``order_no``) brings the tracking number along."""
    pk = Delivery.objects.filter(tracking_no=tracking_no).values_list("pk", flat=True).first()
    if pk is None and order_no:
        pk = Delivery.objects.filter(order_no=order_no, tracking_no="").values_list("pk", flat=True).first()
    if pk is None:
        return Outcome(CallbackOutcome.UNKNOWN, _("No such shipment."))
    with transaction.atomic():
        delivery = workflow.lock(Delivery, pk)
        if not delivery.tracking_no:
            delivery.tracking_no, delivery.registered_at = tracking_no, timezone.now()
            delivery.save(update_fields=["tracking_no", "registered_at", "updated_at"])
        if delivery.status == status:
            return Outcome(CallbackOutcome.DUPLICATE, _("Already known."), delivery)
        if _RANK[status] <= _RANK[delivery.status]:
            detail = _("Reported %(reported)s, but it is already %(status)s.") % {
                "reported": DeliveryStatus(status).label,
                "status": delivery.get_status_display(),
            }
            return Outcome(CallbackOutcome.STALE, detail, delivery)
        params = {"at": at}
        if status == DeliveryStatus.IN_TRANSIT:
            action, body = "ship", _("%(item)s (tracking number %(tracking_no)s) is on its way.")
        elif status == DeliveryStatus.DELIVERED:
            action, body = "deliver", _("%(item)s (tracking number %(tracking_no)s) has been delivered.")
        else:
            action, params["reason"] = "fail", reason or _("No reason given.")
            body = _(
                "%(item)s (tracking number %(tracking_no)s) could not be delivered: %(reason)s. "
                "The office will contact you."
            )

        def then(changed: Delivery) -> None:
            # the service whose item this is moves its own case on (a certificate delivered)
            delivery_reported.send(sender=Delivery, delivery=changed)
            _tell_applicant(
                changed,
                subject=_("Delivery %(tracking_no)s: %(status)s")
                % {"tracking_no": changed.tracking_no, "status": changed.get_status_display()},
                body=body
                % {
                    "item": changed.item,
                    "tracking_no": changed.tracking_no,
                    "reason": changed.failure_reason,
                },
            )

        delivery = perform(
            delivery,
            action,
            by=None,
            note=params.get("reason", ""),
            data={"at": at.isoformat()},
            then=then,
            **params,
        )
        return Outcome(CallbackOutcome.APPLIED, delivery.get_status_display(), delivery)
