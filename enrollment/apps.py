from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment (入学一件事)")

    def ready(self):
        from enrollment import catalogue  # noqa: F401 - registers the service items and event actions
