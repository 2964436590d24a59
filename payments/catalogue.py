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


def _register_workflow() -> None:
    from payments.models import Order, OrderState
    from portal.cases import workflow

    def case_status(order, from_state: str, to_state: str) -> str | None:
        """A bill of its own (the FEE item) is its case: paid → done; expired or closed → withdrawn."""
        if order.case.service.code != FEE_ITEM:
            return None
        return {
            OrderState.PAID: "complete",
            OrderState.EXPIRED: "withdraw",
            OrderState.CLOSED: "withdraw",
        }.get(to_state)

    workflow.register(
        Order,
        events={
            "pay": PaymentAction.PAID,
            "expire": PaymentAction.EXPIRED,
            "close": PaymentAction.CLOSED,
            "refund_partly": PaymentAction.REFUNDED,
            "refund_fully": PaymentAction.REFUNDED,
        },
        verbs={
            "pay": _("recorded as paid"),
            "expire": _("expired"),
            "close": _("closed (only an unpaid bill can be)"),
            "refund_partly": _("refunded (only a paid bill can be)"),
            "refund_fully": _("refunded (only a paid bill can be)"),
        },
        reference=lambda order: _("Order %(no)s") % {"no": order.order_no},
        case=lambda order: order.case,
        forbidden=_("Only bureau staff of the bill's district may close it."),
        select_related=("case", "case__service", "fee_item", "payer", "district", "school"),
        case_status=case_status,
        event_data=lambda order: {"order_no": order.order_no},
    )


claim(FEE_ITEM, "payments")
register_actions(PaymentAction)
_register_workflow()
