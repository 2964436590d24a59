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
        from portal.accounts.roles import ROLE_PERMISSIONS as KERNEL_ROLE_PERMISSIONS

        for role, permissions in ROLE_PERMISSIONS.items():
            KERNEL_ROLE_PERMISSIONS[role] |= permissions
