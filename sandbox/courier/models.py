"""What the courier would hold: shipments, the status callbacks it owes senders, and the fault settings."""

from django.db import models

__all__ = ["CourierFault", "CourierNotification", "CourierShipment", "ShipmentStatus"]


class ShipmentStatus(models.TextChoices):
    CREATED = "created", "已下单 created"
    IN_TRANSIT = "in_transit", "运输中 in transit"
    DELIVERED = "delivered", "已签收 delivered"
    FAILED = "failed", "投递失败 failed"


class CourierShipment(models.Model):
    sender = models.CharField(max_length=64)
    order_no = models.CharField("sender's order number", max_length=64)
    tracking_no = models.CharField("运单号", max_length=32, unique=True)
    recipient_name = models.CharField(max_length=100)
    phone = models.CharField(max_length=20)
    address = models.CharField(max_length=300)
    item = models.CharField(max_length=200)
    callback_url = models.URLField(max_length=500)
    status = models.CharField(max_length=16, choices=ShipmentStatus.choices, default=ShipmentStatus.CREATED)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "快递 shipment"
        constraints = [
            models.UniqueConstraint(fields=["sender", "order_no"], name="courier_one_shipment_per_order")
        ]

    def __str__(self):
        return f"{self.tracking_no} {self.status}"


class CourierNotification(models.Model):
    """A status callback the courier owes the sender, re-sent until the sender answers 200."""

    shipment = models.ForeignKey(CourierShipment, on_delete=models.CASCADE, related_name="notifications")
    notify_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "快递 callback"

    def __str__(self):
        return f"{self.notify_id} {self.payload.get('status')}"


class CourierFault(models.Model):
    """Fault injection for the courier (one row): ``down`` answers every API call 503, ``latency_ms``
    slows every answer, ``fail_deliveries`` makes the next step of every parcel in transit a failed
    delivery (with ``failure_reason``) instead of a signature."""

    down = models.BooleanField("API down (503)", default=False)
    latency_ms = models.PositiveIntegerField(default=0)
    fail_deliveries = models.BooleanField("deliveries fail", default=False)
    failure_reason = models.CharField(max_length=300, default="收件人拒收（模拟） refused by the recipient")

    class Meta:
        verbose_name = "快递 fault injection"
        verbose_name_plural = "快递 fault injection"

    def __str__(self):
        parts = ["down" if self.down else "up", f"+{self.latency_ms} ms"]
        if self.fail_deliveries:
            parts.append("deliveries fail")
        return ", ".join(parts)


from sandbox.courier import tasks as _tasks  # noqa: E402,F401 - registers the callback task with Celery
