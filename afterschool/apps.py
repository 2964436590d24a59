from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Admin screens per role (portal.accounts.roles); scope is applied by the admin through the case / school.
ROLE_PERMISSIONS = {
    "bureau": {
        "afterschool.view_program",
        "afterschool.add_program",
        "afterschool.change_program",
        "afterschool.view_programslot",
        "afterschool.add_programslot",
        "afterschool.change_programslot",
        "afterschool.view_application",
    },
    "clerk": {
        "afterschool.view_program",
        "afterschool.add_program",
        "afterschool.change_program",
        "afterschool.view_programslot",
        "afterschool.add_programslot",
        "afterschool.change_programslot",
        "afterschool.view_application",
    },
    "auditor": {"afterschool.view_program", "afterschool.view_programslot", "afterschool.view_application"},
}


class AfterschoolConfig(AppConfig):
    name = "afterschool"
    verbose_name = _("After-school care (课后托管)")

    def ready(self):
        from afterschool import (
            catalogue,  # noqa: F401 - registers the ASC item, event actions, workflows
            receivers,
        )
        from payments.signals import bill_expired, bill_paid
        from portal.accounts.roles import register_role_permissions
        from portal.cases.registry import register_case_view

        register_role_permissions(ROLE_PERMISSIONS)
        bill_paid.connect(receivers.on_bill_paid, dispatch_uid="afterschool.bill_paid")
        bill_expired.connect(receivers.on_bill_expired, dispatch_uid="afterschool.bill_expired")

        from django.db.models import Q

        from afterschool.models import State

        register_case_view(
            catalogue.ITEM,
            link=_application_link,
            status=_application_status,
            select_related=("afterschool",),
            decided_q=Q(afterschool__state__in=[State.WAITLISTED, State.AWAITING_PAYMENT]),
            app=self.label,
        )


def _application_link(case, user):
    from django.urls import reverse

    if user is not None and getattr(user, "role", "") in ("clerk", "bureau"):
        return reverse("afterschool:review", args=[case.reference_no])
    return reverse("afterschool:application", args=[case.reference_no])


def _application_status(case):
    """The application's own state; waitlisted and awaiting payment are decided by the school (no
    promised deadline runs while the family waits for a seat or pays)."""
    from afterschool.models import State
    from portal.cases.registry import ServiceStatus

    application = case.afterschool
    return ServiceStatus(
        application.state,
        application.get_state_display(),
        decided=application.state in (State.WAITLISTED, State.AWAITING_PAYMENT),
    )
