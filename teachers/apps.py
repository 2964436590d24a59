from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeachersConfig(AppConfig):
    """Teacher certificates (教师资格认定) and the 30-year honours (从教三十年荣誉证书)."""

    name = "teachers"
    verbose_name = _("Teachers (教师资格与荣誉)")

    def ready(self):
        from django.db.models import Q

        from portal.accounts.roles import register_role_permissions
        from portal.cases.actions import register_actions
        from portal.cases.registry import register_case_view
        from portal.deliveries.signals import delivery_reported
        from portal.invitations.registry import register_finder
        from teachers import (
            catalogue,
            services,
            tasks,  # noqa: F401 - registers the Celery tasks
        )
        from teachers.models import CertificateState

        catalogue.register_items()
        register_actions(catalogue.TeacherAction)
        catalogue._register_workflows()
        register_case_view(
            catalogue.CERTIFICATE_ITEM,
            link=_certificate_link,
            status=_certificate_status,
            select_related=("teacher_certificate",),
            decided_q=Q(teacher_certificate__state__in=[CertificateState.CERTIFICATE_ISSUED]),
            app=self.label,
        )
        register_case_view(
            catalogue.HONOUR_ITEM,
            link=_honour_link,
            status=_honour_status,
            select_related=("teacher_honour",),
            app=self.label,
        )
        register_role_permissions(
            {
                "bureau": {
                    "teachers.view_certificateapplication",
                    "teachers.view_certificatecheck",
                    "teachers.view_stagerequirement",
                    "teachers.add_stagerequirement",
                    "teachers.change_stagerequirement",
                    "teachers.view_applicationwindow",
                    "teachers.add_applicationwindow",
                    "teachers.change_applicationwindow",
                    "teachers.delete_applicationwindow",
                    "cases.view_numberseries",
                    "teachers.view_honour",
                },
                "auditor": {"teachers.view_certificateapplication", "teachers.view_honour"},
            }
        )
        register_finder(catalogue.HONOUR_ITEM, services.find_honourees, on_accept=services.honour_on_accept)
        delivery_reported.connect(services.on_delivery_reported, dispatch_uid="teachers.delivery_reported")


def _certificate_link(case, user):
    from django.urls import reverse

    if user is not None and getattr(user, "role", "") == "bureau":
        return reverse("teachers:review", args=[case.reference_no])
    return reverse("teachers:certificate", args=[case.reference_no])


def _certificate_status(case):
    from portal.cases.registry import ServiceStatus
    from teachers.models import CertificateState

    application = case.teacher_certificate
    return ServiceStatus(
        application.state,
        application.get_state_display(),
        decided=application.state == CertificateState.CERTIFICATE_ISSUED,
    )


def _honour_link(case, user):
    from django.urls import reverse

    return reverse("teachers:honour", args=[case.reference_no])


def _honour_status(case):
    from portal.cases.registry import ServiceStatus

    honour = case.teacher_honour
    return ServiceStatus(honour.state, honour.get_state_display(), decided=honour.state == "issued")
