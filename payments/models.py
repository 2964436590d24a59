"""Payments through the unified public payment platform (统一公共支付平台).

Bureau staff keep the fee items (收费项目) in the admin. A bill is an ``Order`` for one person, paid by the
family: the platform gives it a payment code (缴款码) and a pay link, and tells the portal asynchronously,
with a signed message, when it is paid. Money is integer fen (分) throughout; the database refuses a refund
total above what was paid. Every notification received is logged (``PaymentNotification``, append-only),
accepted or not, and a daily ``ReconciliationRun`` compares the portal with the platform's statement.

Each order belongs to a case (办件) of the case kernel: the case of the application it is billed for (a
kindergarten child's enrollment, an after-school place) or, for a standalone bill such as an exam fee, a
case of the ``FEE`` service item opened with it. So the family sees its bills in "my cases", staff see
those in their scope, and every change is in the case's trace. See docs/workflows/payments.md.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from portal.accounts.models import Role
from portal.cases.scoping import can_handle
from portal.core import pii
from portal.core.fields import EncryptedTextField
from portal.core.models import AppendOnlyModel

# --- fee items ----------------------------------------------------------------------------------------


class FeeKind(models.TextChoices):
    KINDERGARTEN_CARE = "kindergarten_care", _("Kindergarten care fee (保育费)")
    AFTERSCHOOL_CARE = "afterschool_care", _("After-school care fee (课后托管费)")
    EXAM = "exam", _("Exam fee (考试费)")
    OTHER = "other", _("Other fee")


class Billing(models.TextChoices):
    MONTHLY = "monthly", _("Monthly bill")
    ONE_OFF = "one_off", _("One-off bill")


def parse_months(text: str) -> list[int]:
    """``"1-7,9-12"`` → ``[1, …, 7, 9, …, 12]``; ValueError for anything that is not months 1–12."""
    months: set[int] = set()
    for part in (text or "").replace("，", ",").replace(" ", "").split(","):
        if not part:
            continue
        low, _sep, high = part.partition("-")
        first, last = int(low), int(high or low)
        if not (1 <= first <= last <= 12):
            raise ValueError(part)
        months.update(range(first, last + 1))
    if not months:
        raise ValueError(text)
    return sorted(months)


class FeeItem(models.Model):
    """A fee the bureau or a school collects, at a rate set by the price authority (收费标准)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, help_text=_("Shown on bills and receipts."))
    kind = models.CharField(_("kind"), max_length=24, choices=FeeKind.choices)
    billing = models.CharField(_("billing"), max_length=16, choices=Billing.choices)
    district = models.ForeignKey("orgs.District", on_delete=models.PROTECT, related_name="fee_items")
    school = models.ForeignKey(
        "orgs.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fee_items",
        help_text=_("Only for this school; empty: every school of the district without an item of its own."),
    )
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    days_to_pay = models.PositiveSmallIntegerField(
        _("days to pay"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("An unpaid bill expires this many days after it is issued."),
    )
    billed_months = models.CharField(
        _("billed months"),
        max_length=40,
        default="1-7,9-12",
        help_text=_("Monthly bills only: the months billed, e.g. 1-7,9-12 (no bill in the summer holiday)."),
    )
    legal_basis = models.CharField(_("charging basis (收费依据)"), max_length=200, blank=True)
    description = models.TextField(_("description for families"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["district", "kind", "code"]
        verbose_name = _("fee item")
        verbose_name_plural = _("fee items")
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="fee_amount_positive")]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        try:
            parse_months(self.billed_months)
        except ValueError:
            errors["billed_months"] = _("Write months 1–12 as a list or ranges, e.g. 1-7,9-12.")
        if self.school_id and self.district_id and self.school.district_id != self.district_id:
            errors["school"] = _("The school is not in the fee item's district.")
        if self.active and self.billing == Billing.MONTHLY and self.district_id:
            twins = FeeItem.objects.filter(
                active=True,
                billing=Billing.MONTHLY,
                kind=self.kind,
                district_id=self.district_id,
                school_id=self.school_id,
            ).exclude(pk=self.pk)
            if twins.exists():
                errors["kind"] = _(
                    "Another active monthly item of this kind applies to the same school or district."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def months(self) -> list[int]:
        return parse_months(self.billed_months)

    @property
    def payee(self) -> str:
        """Who collects the money (收款单位), as printed on receipts."""
        return self.school.name if self.school_id else f"{self.district.name}教育局"


# --- orders -------------------------------------------------------------------------------------------


class OrderState(models.TextChoices):
    CREATED = "created", _("Awaiting payment")
    PAID = "paid", _("Paid")
    PARTLY_REFUNDED = "partly_refunded", _("Partly refunded")
    REFUNDED = "refunded", _("Refunded")
    EXPIRED = "expired", _("Expired")
    CLOSED = "closed", pgettext_lazy("bill", "Closed")


PAID_STATES = (OrderState.PAID, OrderState.PARTLY_REFUNDED, OrderState.REFUNDED)
UNPAID_FINAL_STATES = (OrderState.EXPIRED, OrderState.CLOSED)
LIVE_STATES = (OrderState.CREATED, *PAID_STATES)


class PaidVia(models.TextChoices):
    NOTIFICATION = "notification", _("Platform notification")
    QUERY = "query", _("Order query")
    RECONCILIATION = "reconciliation", _("Daily reconciliation")


class Order(ConcurrentTransitionMixin, models.Model):
    """A bill (缴费订单) for one person. Its ``state`` changes only through ``payments.services``."""

    order_no = models.CharField(_("order number"), max_length=32, unique=True, editable=False)
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="orders")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="payment_orders")
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payment_orders",
        verbose_name=_("payer"),
    )
    subject_name = models.CharField(_("for"), max_length=100, help_text=_("The person the bill is for."))
    subject_id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    subject_id_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    district = models.ForeignKey("orgs.District", on_delete=models.PROTECT, related_name="payment_orders")
    school = models.ForeignKey(
        "orgs.School", on_delete=models.PROTECT, null=True, blank=True, related_name="payment_orders"
    )
    title = models.CharField(_("bill"), max_length=200)
    period = models.CharField(_("month billed"), max_length=7, blank=True, help_text="YYYY-MM")
    billing_key = models.CharField(max_length=120, blank=True, editable=False)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    paid_fen = models.PositiveBigIntegerField(_("paid (fen)"), default=0)
    refunded_fen = models.PositiveBigIntegerField(_("refunded (fen)"), default=0)
    refund_pending_fen = models.PositiveBigIntegerField(_("refund in progress (fen)"), default=0)
    state = FSMField(
        _("state"), max_length=16, choices=OrderState.choices, default=OrderState.CREATED, protected=True
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("pay by"))
    payment_code = models.CharField(_("payment code (缴款码)"), max_length=32, blank=True, editable=False)
    pay_url = models.URLField(_("pay link"), max_length=500, blank=True, editable=False)
    registered_at = models.DateTimeField(_("registered with the platform"), null=True, blank=True)
    register_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    last_platform_error = models.CharField(_("last platform error"), max_length=300, blank=True)
    platform_trade_no = models.CharField(_("platform transaction"), max_length=64, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_via = models.CharField(_("confirmed by"), max_length=16, choices=PaidVia.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    receipt_no = models.CharField(_("receipt number (票据号码)"), max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")
        indexes = [
            models.Index(fields=["state", "expires_at"]),
            models.Index(fields=["state", "registered_at"]),
            models.Index(fields=["paid_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="order_amount_positive"),
            # never more refunded (or being refunded) than was paid — whatever the code above does
            models.CheckConstraint(
                condition=Q(refunded_fen__lte=F("paid_fen") - F("refund_pending_fen")),
                name="order_refunds_within_paid",
            ),
            models.CheckConstraint(
                condition=(Q(state__in=PAID_STATES) & Q(paid_fen=F("amount_fen")))
                | (~Q(state__in=PAID_STATES) & Q(paid_fen=0)),
                name="order_paid_in_full_or_not_at_all",
            ),
            models.CheckConstraint(
                condition=~Q(state=OrderState.REFUNDED) | Q(refunded_fen=F("paid_fen")),
                name="order_refunded_means_all",
            ),
            models.UniqueConstraint(
                fields=["payment_code"], condition=~Q(payment_code=""), name="one_order_per_payment_code"
            ),
            models.UniqueConstraint(
                fields=["receipt_no"], condition=~Q(receipt_no=""), name="one_order_per_receipt_no"
            ),
            # one live bill per child, fee and month, also when two billing runs race
            models.UniqueConstraint(
                fields=["billing_key"],
                condition=~Q(billing_key="") & Q(state__in=LIVE_STATES),
                name="one_live_bill_per_billing_key",
            ),
        ]

    def __str__(self):
        return self.order_no

    def save(self, *args, **kwargs):
        self.subject_id_hash = pii.keyed_hash(self.subject_id_number) if self.subject_id_number else ""
        super().save(*args, **kwargs)

    @property
    def refundable_fen(self) -> int:
        """What may still be refunded: paid, less refunded, less refunds in progress."""
        return max(self.paid_fen - self.refunded_fen - self.refund_pending_fen, 0)

    @property
    def is_registered(self) -> bool:
        return bool(self.payment_code)

    @property
    def masked_subject_id(self) -> str:
        return pii.mask_id(self.subject_id_number)

    # --- conditions and permissions (named, so a refusal can say which) -----------------------------------

    def past_due(self) -> bool:
        return timezone.now() >= self.expires_at

    def has_refund_pending(self) -> bool:
        return self.refund_pending_fen > 0

    @staticmethod
    def bureau_in_scope(instance: "Order", user) -> bool:
        """Bureau staff of the order's district (or a superuser); ``None`` is the system."""
        if user is None:
            return True
        if not (user.is_authenticated and user.is_active):
            return False
        return user.is_superuser or (user.role == Role.BUREAU and can_handle(user, instance.case))

    # --- transitions: state and bookkeeping only; the services lock, save, log and message --------------

    @transition(field=state, source=OrderState.CREATED, target=OrderState.PAID)
    def pay(self, *, amount_fen: int, trade_no: str, paid_at: dt.datetime, via: str):
        """The platform confirmed the payment (notification, order query or statement). Records the money
        and the platform's transaction and gives the e-receipt its number."""
        if amount_fen != self.amount_fen:
            raise ValueError("a payment is recorded only for the order's amount")
        self.paid_fen = amount_fen
        self.platform_trade_no = trade_no
        self.paid_at = paid_at
        self.paid_via = via
        self.receipt_no = f"{timezone.localtime(paid_at):%Y}{self.district.code[:6]}{self.pk:010d}"

    @transition(field=state, source=OrderState.CREATED, target=OrderState.EXPIRED, conditions=[past_due])
    def expire(self):
        """Nobody paid by the due time and the platform has closed the order: it can no longer be paid."""
        self.closed_at = timezone.now()

    @transition(field=state, source=OrderState.CREATED, target=OrderState.CLOSED, permission=bureau_in_scope)
    def close(self):
        """Cancelled before payment (a bill issued in error); the platform has closed the order."""
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=[OrderState.PAID, OrderState.PARTLY_REFUNDED],
        target=OrderState.PARTLY_REFUNDED,
        conditions=[has_refund_pending],
    )
    def refund_partly(self, *, amount_fen: int):
        """A refund the platform carried out leaves part of the payment with the payee."""
        self._book_refund(amount_fen, full=False)

    @transition(
        field=state,
        source=[OrderState.PAID, OrderState.PARTLY_REFUNDED],
        target=OrderState.REFUNDED,
        conditions=[has_refund_pending],
    )
    def refund_fully(self, *, amount_fen: int):
        """The refunds the platform carried out now return everything that was paid."""
        self._book_refund(amount_fen, full=True)

    def _book_refund(self, amount_fen: int, *, full: bool) -> None:
        if not 0 < amount_fen <= self.refund_pending_fen:
            raise ValueError("a refund is booked only for an amount in progress")
        if (self.refunded_fen + amount_fen == self.paid_fen) != full:
            raise ValueError("refund_fully books the last of the payment, refund_partly any other part")
        self.refund_pending_fen -= amount_fen
        self.refunded_fen += amount_fen


class RefundState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Refused by the platform")


class Refund(ConcurrentTransitionMixin, models.Model):
    """A full or partial refund of a paid order. Its amount is reserved on the order while the platform
    carries it out (``refund_pending_fen``), so two refunds at once cannot exceed what was paid."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    refund_no = models.CharField(_("refund number"), max_length=40, unique=True, editable=False)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=300)
    state = FSMField(
        _("state"), max_length=16, choices=RefundState.choices, default=RefundState.REQUESTED, protected=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    platform_refund_no = models.CharField(_("platform refund"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        ordering = ["order", "requested_at", "pk"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="refund_amount_positive")]

    def __str__(self):
        return self.refund_no

    @transition(field=state, source=RefundState.REQUESTED, target=RefundState.SUCCEEDED)
    def succeed(self, *, platform_refund_no: str):
        """The platform returned the money to the payer."""
        self.platform_refund_no = platform_refund_no
        self.completed_at = timezone.now()

    @transition(field=state, source=RefundState.REQUESTED, target=RefundState.FAILED)
    def fail(self, *, error: str):
        """The platform refused the refund; the reserved amount is released."""
        self.last_error = error[:300]
        self.completed_at = timezone.now()


# --- notifications received -------------------------------------------------------------------------


class NotificationOutcome(models.TextChoices):
    APPLIED = "applied", _("Applied (the order changed)")
    DUPLICATE = "duplicate", _("Duplicate (already applied; acknowledged)")
    BAD_SIGNATURE = "bad_signature", _("Refused: the signature does not verify")
    REPLAYED = "replayed", _("Refused: a replayed request")
    MALFORMED = "malformed", _("Refused: malformed message")
    UNKNOWN_ORDER = "unknown_order", _("Refused: no such order")
    AMOUNT_MISMATCH = "amount_mismatch", _("Refused: the amount does not match the order")
    OUT_OF_ORDER = "out_of_order", _("Refused: contradicts the order's state")


ACCEPTED_OUTCOMES = (NotificationOutcome.APPLIED, NotificationOutcome.DUPLICATE)


class PaymentNotification(AppendOnlyModel):
    """One message received at the notification endpoint, whatever became of it (append-only: on
    PostgreSQL a trigger refuses UPDATE, and DELETE within the six-month retention)."""

    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    notify_id = models.CharField(_("message id"), max_length=64, blank=True, db_index=True)
    event = models.CharField(_("event"), max_length=32, blank=True)
    order_no = models.CharField(_("order number"), max_length=64, blank=True, db_index=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount_fen = models.BigIntegerField(_("amount (fen)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=24, choices=NotificationOutcome.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    body = models.TextField(_("message as received"), blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")

    def __str__(self):
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} {self.order_no} {self.outcome}"

    @property
    def accepted(self) -> bool:
        return self.outcome in ACCEPTED_OUTCOMES


# --- daily reconciliation -----------------------------------------------------------------------------


class ReconciliationStatus(models.TextChoices):
    BALANCED = "balanced", _("Balanced")
    REPAIRED = "repaired", _("Balanced after repairs")
    MISMATCHES = "mismatches", _("Mismatches reported")
    FAILED = "failed", _("Statement not available")


class ReconciliationRun(models.Model):
    """The comparison of one day's platform statement (对账单) with the portal's orders and refunds."""

    statement_date = models.DateField(_("statement date"), unique=True)
    status = models.CharField(_("status"), max_length=16, choices=ReconciliationStatus.choices)
    started_at = models.DateTimeField(_("run at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    payments = models.PositiveIntegerField(_("payments on the statement"), default=0)
    payments_fen = models.BigIntegerField(_("payments total (fen)"), default=0)
    refunds = models.PositiveIntegerField(_("refunds on the statement"), default=0)
    refunds_fen = models.BigIntegerField(_("refunds total (fen)"), default=0)
    repaired = models.PositiveIntegerField(_("repaired"), default=0)
    mismatches = models.PositiveIntegerField(_("mismatches"), default=0)
    statement_sha256 = models.CharField(_("statement SHA-256"), max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-statement_date"]
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")

    def __str__(self):
        return f"{self.statement_date} {self.status}"


class IssueKind(models.TextChoices):
    REPAIRED_PAYMENT = "repaired_payment", _("Repaired: payment whose notification was lost")
    REPAIRED_REFUND = "repaired_refund", _("Repaired: refund whose answer was lost")
    UNKNOWN_ORDER = "unknown_order", _("On the statement, unknown to the portal")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amounts differ")
    PAID_NOT_PAYABLE = "paid_not_payable", _("Paid at the platform, expired or closed here")
    TRADE_MISMATCH = "trade_mismatch", _("Different platform transaction")
    MISSING_AT_PLATFORM = "missing_at_platform", _("Paid here, not on the statement")
    REFUND_UNKNOWN = "refund_unknown", _("Refund on the statement, unknown to the portal")
    REFUND_MISSING_AT_PLATFORM = "refund_missing", _("Refunded here, not on the statement")


REPAIR_KINDS = (IssueKind.REPAIRED_PAYMENT, IssueKind.REPAIRED_REFUND)


class ReconciliationIssue(models.Model):
    """One line that did not match: repaired automatically, or a mismatch for bureau staff to resolve."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="issues")
    kind = models.CharField(_("kind"), max_length=24, choices=IssueKind.choices)
    order_no = models.CharField(_("order number"), max_length=64, blank=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reference = models.CharField(_("platform reference"), max_length=64, blank=True)
    platform_fen = models.BigIntegerField(_("platform (fen)"), null=True, blank=True)
    portal_fen = models.BigIntegerField(_("portal (fen)"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["run", "pk"]
        verbose_name = _("reconciliation issue")
        verbose_name_plural = _("reconciliation issues")

    def __str__(self):
        return f"{self.order_no}: {self.kind}"

    @property
    def is_mismatch(self) -> bool:
        return self.kind not in REPAIR_KINDS
