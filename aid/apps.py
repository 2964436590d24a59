from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Admin screens per role (portal.accounts.roles): the bureau sets up schemes; everyone in scope reads.
ROLE_PERMISSIONS = {
    "bureau": {
        "aid.view_scheme",
        "aid.add_scheme",
        "aid.change_scheme",
        "aid.view_schemelevel",
        "aid.add_schemelevel",
        "aid.change_schemelevel",
        "aid.delete_schemelevel",
        "aid.view_levelrule",
        "aid.add_levelrule",
        "aid.change_levelrule",
        "aid.delete_levelrule",
        "aid.view_aidapplication",
        "aid.view_disbursementbatch",
    },
    "clerk": {"aid.view_scheme", "aid.view_aidapplication"},
    "auditor": {"aid.view_scheme", "aid.view_aidapplication", "aid.view_disbursementbatch"},
}


class AidConfig(AppConfig):
    """Student aid (学生资助, 应助尽助)."""

    name = "aid"
    verbose_name = _("Student aid (学生资助)")

    def ready(self):
        from django.db.models import Q

        from aid import (
            catalogue,
            finder,
            services,
            tasks,  # noqa: F401 - registers the Celery tasks
        )
        from aid.models import AidState
        from portal.accounts.roles import register_role_permissions
        from portal.cases.actions import register_actions
        from portal.cases.registry import register_case_view
        from portal.catalog.registry import claim
        from portal.invitations.registry import register_finder
        from portal.notices.registry import register_objection_handler

        claim(catalogue.ITEM, "aid")
        register_actions(catalogue.AidAction)
        catalogue.register_workflow()
        register_case_view(
            catalogue.ITEM,
            link=_application_link,
            status=_application_status,
            select_related=("aid_application",),
            decided_q=Q(aid_application__state__in=[AidState.APPROVED]),
            app=self.label,
        )
        register_role_permissions(ROLE_PERMISSIONS)
        register_finder(catalogue.ITEM, finder.find_eligible_students, on_accept=finder.invitation_on_accept)
        register_objection_handler(catalogue.ITEM, services.on_objection_upheld)


def _application_link(case, user):
    from django.urls import reverse

    return reverse("aid:application", args=[case.reference_no])


def _application_status(case):
    from aid.models import AidState
    from portal.cases.registry import ServiceStatus

    application = case.aid_application
    return ServiceStatus(
        application.state, application.get_state_display(), decided=application.state == AidState.APPROVED
    )
