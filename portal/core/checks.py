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


PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
}


@register(Tags.security, Tags.caches, deploy=True)
def shared_cache_in_production(app_configs, **kwargs):
    """The payment notifications' nonce store and the rate limits (sign-in codes, API throttles) live in
    the default cache: per process, a replayed notification or the n-th request reaching another process
    would pass. Production keeps them in Redis (``CACHE_URL=redis://…``)."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if not settings.DEBUG and backend in PER_PROCESS_CACHES:
        return [
            Error(
                f"The default cache ({backend}) is not shared between processes: replayed payment "
                "notifications and rate limits would pass in every other process.",
                hint="Set CACHE_URL=redis://host:6379/1 in production.",
                id="portal.E002",
            )
        ]
    return []
