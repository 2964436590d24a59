"""What payments registers with the kernel: the FEE service item it handles and its typed event actions."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.cases.actions import register_actions
from portal.catalog.registry import claim

FEE_ITEM = "FEE"  # 教育缴费（保育费、考试费）: the case of a standalone bill


class PaymentAction(models.TextChoices):
    BILL_ISSUED = "payments.bill_issued", _("Bill issued")
    PAYMENT_CODE = "payments.payment_code", _("Payment code issued (缴款码)")
    PAID = "payments.paid", _("Paid")
    EXPIRED = "payments.expired", _("Bill expired unpaid")
    CLOSED = "payments.closed", _("Bill closed")
    REFUND_REQUESTED = "payments.refund_requested", _("Refund requested")
    REFUNDED = "payments.refunded", _("Refunded")
    REFUND_FAILED = "payments.refund_failed", _("Refund refused by the platform")
    NOTIFICATION_REFUSED = "payments.notification_refused", _("Payment notification refused")
    MISMATCH = "payments.mismatch", _("Reconciliation mismatch")


claim(FEE_ITEM, "payments")
register_actions(PaymentAction)
