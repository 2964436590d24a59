from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment (入学一件事)")

    def ready(self):
        from django.db.models import Q

        from enrollment import catalogue  # noqa: F401 - registers the service items and event actions
        from enrollment.selectors import kindergarten_places
        from payments.billing import register_billable
        from payments.models import FeeKind

        register_billable(FeeKind.KINDERGARTEN_CARE, kindergarten_places)
        from enrollment.models import State
        from portal.cases.registry import register_case_view

        for code in (catalogue.PRIMARY_JUNIOR_ITEM, catalogue.KINDERGARTEN_ITEM):
            register_case_view(
                code,
                link=_application_link,
                status=_application_status,
                select_related=("enrollment",),
                decided_q=Q(enrollment__state=State.QUALIFIED),
                app=self.label,
            )


def _application_link(case, user):
    from django.urls import reverse

    return reverse("enrollment:application", args=[case.reference_no])


def _application_status(case):
    """The application's own state; qualified is decided (the place notice is out) though the case stays
    open until the allocation admits the child."""
    from enrollment.models import State
    from portal.cases.registry import ServiceStatus

    application = case.enrollment
    return ServiceStatus(
        application.state, application.get_state_display(), decided=application.state == State.QUALIFIED
    )
