from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    """Stand-ins for every external system, served over HTTP at /sandbox/ when SANDBOX_ENABLED.

    Its tables stand for other authorities' databases; in production the app is not installed."""

    name = "sandbox"
    verbose_name = _("Sandbox (stand-in external systems)")
