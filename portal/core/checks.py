"""Deploy checks (``manage.py check --deploy``) for what would expose or split state in production."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def sandbox_off_in_production(app_configs, **kwargs):
    """The sandbox shows every one-time code at /sandbox/sms/ and pays any order: never with DEBUG off."""
    if not settings.DEBUG and getattr(settings, "SANDBOX_ENABLED", False):
        return [
            Error(
                "SANDBOX_ENABLED is on while DEBUG is off: /sandbox/ would show every one-time code "
                "and stand in for the registries and the payment platform.",
                hint="Set SANDBOX_ENABLED=False in production.",
                id="portal.E001",
            )
        ]
    return []
