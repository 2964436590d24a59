"""What the payment platform would hold: its orders, refunds, the notifications it owes merchants, and
the fault settings testers use to make it misbehave. Nothing here points at the portal's tables."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

__all__ = ["PaymentFault", "PlatformNotification", "PlatformOrder", "PlatformRefund", "PlatformStatus"]


class PlatformStatus(models.TextChoices):
    NOTPAY = "NOTPAY", "未支付 not paid"
    SUCCESS = "SUCCESS", "支付成功 paid"
    CLOSED = "CLOSED", "已关闭 closed"


class PlatformOrder(models.Model):
    merchant = models.CharField(max_length=64)
    out_trade_no = models.CharField("merchant order number", max_length=64)
    payment_code = models.CharField("缴款码", max_length=20, unique=True)
    subject = models.CharField(max_length=200)
    payer_name = models.CharField(max_length=100)
    amount_fen = models.PositiveBigIntegerField()
    refunded_fen = models.PositiveBigIntegerField(default=0)
    notify_url = models.URLField(max_length=500)
    return_url = models.URLField(max_length=500, blank=True)
    expire_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=PlatformStatus.choices, default=PlatformStatus.NOTPAY)
    closed_reason = models.CharField(max_length=16, blank=True)
    trade_no = models.CharField("platform transaction", max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_attempt = models.CharField("last failed attempt", max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "支付平台 order"
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "out_trade_no"], name="platform_one_order_per_number"
            ),
            models.CheckConstraint(
                condition=Q(refunded_fen__lte=F("amount_fen")), name="platform_refunds_within_amount"
            ),
        ]

    def __str__(self):
        return f"{self.payment_code} {self.out_trade_no}"


class PlatformRefund(models.Model):
    order = models.ForeignKey(PlatformOrder, on_delete=models.CASCADE, related_name="refunds")
    refund_no = models.CharField("merchant refund number", max_length=64)
    platform_refund_no = models.CharField(max_length=32, unique=True)
    amount_fen = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "支付平台 refund"
        constraints = [
            models.UniqueConstraint(fields=["order", "refund_no"], name="platform_one_refund_per_no")
        ]

    def __str__(self):
        return self.platform_refund_no


class PlatformNotification(models.Model):
    """A message the platform owes the merchant; delivered at least once (see sandbox.payments.delivery)."""

    order = models.ForeignKey(PlatformOrder, on_delete=models.CASCADE, related_name="notifications")
    notify_id = models.CharField(max_length=40, unique=True)
    event = models.CharField(max_length=32)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    copies = models.PositiveSmallIntegerField("copies sent (fault: duplicates)", default=1)
    dropped = models.BooleanField("dropped (fault: never delivered)", default=False)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "支付平台 notification"

    def __str__(self):
        return f"{self.notify_id} {self.event}"


class PaymentFault(models.Model):
    """Fault injection for the payment platform (one row): API latency and 5xx errors, and for the
    notifications a share dropped (never delivered), a share sent twice more, and a random delay that
    delivers them out of order. With ``seed`` set, the n-th draw uses ``random.Random(f"{seed}:{n}")``."""

    latency_ms = models.PositiveIntegerField(default=0)
    error_rate = models.FloatField(
        "API 5xx share", default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    drop_rate = models.FloatField(
        "notifications dropped", default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    duplicate_rate = models.FloatField(
        "notifications repeated", default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    max_delay_ms = models.PositiveIntegerField("notification delay up to (ms)", default=0)
    seed = models.BigIntegerField(null=True, blank=True)
    draws = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = "支付平台 fault injection"
        verbose_name_plural = "支付平台 fault injection"
        constraints = [
            models.CheckConstraint(
                condition=Q(error_rate__gte=0, error_rate__lte=1, drop_rate__gte=0, drop_rate__lte=1)
                & Q(duplicate_rate__gte=0, duplicate_rate__lte=1),
                name="payment_fault_rates_are_shares",
            )
        ]

    def __str__(self):
        return (
            f"+{self.latency_ms} ms, {self.error_rate:.0%} errors, {self.drop_rate:.0%} dropped, "
            f"{self.duplicate_rate:.0%} repeated"
        )


# The delivery task lives in sandbox/payments/tasks.py; Celery's autodiscovery only looks at
# sandbox/tasks.py, so it is registered here, where the worker loads the sandbox's models.
from sandbox.payments import tasks as _tasks  # noqa: E402,F401
