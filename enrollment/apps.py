from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment (入学一件事)")

    def ready(self):
        from enrollment import catalogue  # noqa: F401 - registers the service items and event actions
        from enrollment.selectors import kindergarten_places
        from payments.billing import register_billable
        from payments.models import FeeKind

        register_billable(FeeKind.KINDERGARTEN_CARE, kindergarten_places)
