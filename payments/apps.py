from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Admin screens per role (portal.accounts.roles); scope — which district's or school's orders — is applied
# to every queryset by portal.cases.scoping through the order's case.
ROLE_PERMISSIONS = {
    "bureau": {
        "payments.view_feeitem",
        "payments.add_feeitem",
        "payments.change_feeitem",
        "payments.view_order",
        "payments.change_order",
        "payments.view_refund",
        "payments.view_paymentnotification",
        "payments.view_reconciliationrun",
        "payments.change_reconciliationrun",
        "payments.view_reconciliationissue",
    },
    "clerk": {"payments.view_feeitem", "payments.view_order", "payments.view_refund"},
    "auditor": {
        "payments.view_feeitem",
        "payments.view_order",
        "payments.view_refund",
        "payments.view_paymentnotification",
        "payments.view_reconciliationrun",
        "payments.view_reconciliationissue",
    },
}


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from payments import catalogue  # noqa: F401 - registers the FEE item and the event actions
        from portal.accounts.roles import register_role_permissions

        register_role_permissions(ROLE_PERMISSIONS)

        from portal.cases.registry import register_case_view

        register_case_view(
            catalogue.FEE_ITEM,
            link=_bill_link,
            status=_bill_status,
            prefetch_related=("payment_orders",),
            app=self.label,
        )


def _bill(case):
    """The bill a FEE case was opened for (read from the prefetched orders when a list prefetched them)."""
    from payments.models import Order

    orders = sorted(case.payment_orders.all(), key=lambda order: (order.created_at, order.pk))
    if not orders:
        raise Order.DoesNotExist(case.reference_no)
    return orders[-1]


def _bill_link(case, user):
    from django.urls import reverse

    return reverse("payments:order", args=[_bill(case).order_no])


def _bill_status(case):
    from portal.cases.registry import ServiceStatus

    order = _bill(case)
    return ServiceStatus(order.state, order.get_state_display())
