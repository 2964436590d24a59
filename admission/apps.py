from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdmissionConfig(AppConfig):
    name = "admission"
    verbose_name = _("Admission (seat allocation)")

    def ready(self):
        from admission import catalogue  # noqa: F401 - registers the objection service item and event actions
        from portal.cases.registry import register_case_view

        register_case_view(
            catalogue.OBJECTION_ITEM,
            link=_objection_link,
            status=_objection_status,
            select_related=("admission_objection",),
            app=self.label,
        )
        from admission import seats
        from studentstatus.seats import register_seat_counter

        register_seat_counter(free=seats.cohort_free, move=seats.cohort_move)


def _objection_link(case, user):
    """Bureau staff review an objection on its admission page; the family follows it on the case page."""
    from django.urls import reverse

    from admission import services

    if user is not None and services.is_district_bureau(user, case.district_id):
        return reverse("admission:objection", args=[case.admission_objection.pk])
    return None


def _objection_status(case):
    from portal.cases.registry import ServiceStatus

    objection = case.admission_objection
    return ServiceStatus(objection.state, objection.get_state_display())
