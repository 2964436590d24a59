from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensingConfig(AppConfig):
    """Private-school licensing (民办学校审批): applications, joint review, licences, lists, inspections."""

    name = "licensing"
    verbose_name = _("Private-school licensing (民办学校审批)")

    def ready(self):
        from django.db.models import Q
        from django.db.models.signals import post_migrate

        from licensing import (
            catalogue,
            materials,
            services,
            tasks,  # noqa: F401 - registers the Celery tasks
        )
        from licensing.models import ApplicationState
        from portal.accounts.roles import register_role_permissions
        from portal.cases.actions import register_actions
        from portal.cases.registry import register_case_view
        from portal.deliveries.signals import delivery_reported

        catalogue.register_items()
        register_actions(catalogue.LicensingAction)
        catalogue._register_workflows()
        register_case_view(
            catalogue.ITEM,
            link=_link,
            status=_status,
            select_related=("licensing_application",),
            decided_q=Q(
                licensing_application__state__in=[ApplicationState.APPROVED, ApplicationState.LICENCE_ISSUED]
            ),
            app=self.label,
        )
        post_migrate.connect(materials.ensure_default_materials, sender=self)
        editable = [
            "reviewdepartment",
            "kindmaterial",
            "licensingsettings",
            "listentry",
            "inspector",
            "inspectioncampaign",
        ]
        bureau = {f"licensing.{verb}_{model}" for model in editable for verb in ("view", "add", "change")}
        bureau |= {"licensing.delete_reviewdepartment", "licensing.delete_listentry"}
        bureau |= {"licensing.delete_kindmaterial"}
        bureau |= {
            f"licensing.view_{m}"
            for m in ("application", "departmentreview", "institution", "inspection", "licencecounter")
        }
        bureau |= {"licensing.change_inspection"}
        register_role_permissions(
            {
                "bureau": bureau,
                "reviewer": {"licensing.view_departmentreview"},
                "auditor": {"licensing.view_application", "licensing.view_departmentreview"},
            }
        )
        delivery_reported.connect(services.on_delivery_reported, dispatch_uid="licensing.delivery_reported")


def _link(case, user):
    from django.urls import reverse

    role = getattr(user, "role", "") if user is not None else ""
    if role == "bureau" or getattr(user, "is_superuser", False):
        return reverse("licensing:bureau_case", args=[case.reference_no])
    if role == "reviewer":
        return reverse("licensing:department_case", args=[case.reference_no])
    return reverse("licensing:application", args=[case.reference_no])


def _status(case):
    from licensing.models import ApplicationState
    from portal.cases.registry import ServiceStatus

    application = case.licensing_application
    return ServiceStatus(
        application.state,
        application.get_state_display(),
        decided=application.state in (ApplicationState.APPROVED, ApplicationState.LICENCE_ISSUED),
    )
