from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdmissionConfig(AppConfig):
    name = "admission"
    verbose_name = _("Admission (seat allocation)")

    def ready(self):
        from admission import catalogue  # noqa: F401 - registers the objection service item and event actions
