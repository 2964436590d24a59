"""Courier deliveries (邮寄送达): one row per shipment of something issued for a case.

The portal creates the row, then (after commit, in a task) registers the shipment with the courier, which
answers with its tracking number (运单号); the courier reports progress in signed callbacks
(``portal.deliveries.callbacks``). Recipient phone and address are personal data, encrypted at rest
(docs/adr/0004-personal-data-encryption.md) and shown masked. See docs/adr/0013-courier-deliveries.md and
docs/workflows/deliveries.md.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from portal.core import pii
from portal.core.fields import EncryptedTextField


class DeliveryStatus(models.TextChoices):
    CREATED = "created", pgettext_lazy("delivery", "Created")
    IN_TRANSIT = "in_transit", pgettext_lazy("delivery", "In transit")
    DELIVERED = "delivered", pgettext_lazy("delivery", "Delivered")
    FAILED = "failed", pgettext_lazy("delivery", "Delivery failed")


FINAL_DELIVERY_STATUSES = {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED}


class DeliveryAction(models.TextChoices):
    """Typed case-event actions (portal.cases.actions), registered in DeliveriesConfig.ready."""

    CREATED = "deliveries.created", _("Delivery created")
    REGISTERED = "deliveries.registered", _("Shipment registered with the courier")
    IN_TRANSIT = "deliveries.in_transit", _("Shipment in transit")
    DELIVERED = "deliveries.delivered", _("Shipment delivered")
    FAILED = "deliveries.failed", _("Delivery failed")


class Delivery(ConcurrentTransitionMixin, models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="deliveries")
    item = models.CharField(_("what is sent"), max_length=200)
    order_no = models.CharField(
        _("shipment order number"),
        max_length=32,
        unique=True,
        editable=False,
        help_text=_("The portal's number for the shipment; the courier registers each number once."),
    )
    recipient_name = models.CharField(_("recipient"), max_length=100)
    recipient_phone = EncryptedTextField(_("recipient's phone"))
    address = EncryptedTextField(_("delivery address"))
    carrier = models.CharField(_("carrier"), max_length=64)
    tracking_no = models.CharField(_("tracking number"), max_length=64, blank=True, db_index=True)
    status = FSMField(
        _("status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.CREATED,
        protected=True,
    )
    failure_reason = models.CharField(_("why it failed"), max_length=300, blank=True)
    last_error = models.CharField(_("last registration error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    in_transit_at = models.DateTimeField(_("in transit since"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "tracking_no"],
                condition=~Q(tracking_no=""),
                name="delivery_one_row_per_tracking_no",
            ),
        ]

    def __str__(self):
        return f"{self.carrier} {self.tracking_no or self.order_no}"

    @property
    def masked_phone(self) -> str:
        return pii.mask_phone(self.recipient_phone)

    @property
    def masked_recipient(self) -> str:
        return pii.mask_name(self.recipient_name)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_DELIVERY_STATUSES

    # --- transitions: state and timestamps only; services save, log and message -------------------------

    @transition(field=status, source=DeliveryStatus.CREATED, target=DeliveryStatus.IN_TRANSIT)
    def ship(self, *, at):
        """The courier has picked the parcel up (揽收) and it is on its way."""
        self.in_transit_at = at

    @transition(
        field=status,
        source=[DeliveryStatus.CREATED, DeliveryStatus.IN_TRANSIT],
        target=DeliveryStatus.DELIVERED,
    )
    def deliver(self, *, at):
        """The recipient signed for it (签收). From ``created`` too: a delivered report that overtook the
        in-transit one is the later fact, so it wins and the late in-transit report changes nothing."""
        self.delivered_at = at

    @transition(
        field=status, source=[DeliveryStatus.CREATED, DeliveryStatus.IN_TRANSIT], target=DeliveryStatus.FAILED
    )
    def fail(self, *, at, reason: str):
        """The courier gave up (refused, nobody at the address, wrong address); ``reason`` says why."""
        self.failed_at, self.failure_reason = at, reason[:300]


class CallbackOutcome(models.TextChoices):
    APPLIED = "applied", pgettext_lazy("callback", "Applied")
    DUPLICATE = "duplicate", _("Duplicate (already applied)")
    STALE = "stale", _("Stale (a later status is already known)")
    BAD_SIGNATURE = "bad_signature", _("Bad signature")
    REPLAYED = "replayed", pgettext_lazy("callback", "Replayed")
    MALFORMED = "malformed", pgettext_lazy("callback", "Malformed")
    UNKNOWN = "unknown", _("Unknown shipment")


class CourierCallback(models.Model):
    """Every status callback received from the courier, with what became of it (written whatever the
    outcome, so forged and replayed callbacks are on record)."""

    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    notify_id = models.CharField(max_length=64, blank=True)
    tracking_no = models.CharField(_("tracking number"), max_length=64, blank=True)
    status = models.CharField(_("reported status"), max_length=16, blank=True)
    delivery = models.ForeignKey(
        Delivery, on_delete=models.PROTECT, null=True, blank=True, related_name="callbacks"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallbackOutcome.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    body = models.TextField(_("body as received"), blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("courier callback")
        verbose_name_plural = _("courier callbacks")

    def __str__(self):
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.tracking_no} {self.status} {self.outcome}"
