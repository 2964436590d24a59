from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudentStatusConfig(AppConfig):
    name = "studentstatus"
    label = "studentstatus"
    verbose_name = _("Student status (学籍)")

    def ready(self):
        from studentstatus import (
            catalogue,  # noqa: F401 - items, event actions, workflows
            catalogue_graduation,  # noqa: F401 - the graduation item, its actions and workflow
            views_registry,
        )

        views_registry.register()
