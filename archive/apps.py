from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Electronic archive (单套制)")

    def ready(self):
        from archive import actions  # noqa: F401 - registers the archive's trace actions
        from archive.signals import queue_package
        from portal.accounts.models import Role
        from portal.accounts.roles import register_role_permissions
        from portal.cases.signals import case_closed

        case_closed.connect(queue_package, dispatch_uid="archive.queue_package")
        screens = {"archive.view_archivepackage", "archive.view_packagecheck", "archive.view_packagedownload"}
        register_role_permissions({Role.BUREAU: screens, Role.AUDITOR: screens})
