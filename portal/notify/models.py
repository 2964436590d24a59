"""Messages to people: a site message always, SMS and e-mail deliveries beside it.

A delivery's address (mobile number or e-mail) is encrypted at rest and shown masked
(docs/adr/0019-phone-numbers.md)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.core.fields import EncryptedTextField


class Message(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return self.subject


class DeliveryChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    # a mobile number or an e-mail address: personal data, needed to send, so encrypted (not hashed)
    address = EncryptedTextField()
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "channel"], name="one_delivery_per_channel")
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self):
        return f"{self.message_id} {self.channel} {self.status}"
