"""One rate per client address for public verification, shared by the page and the API, so a sweep of
guessed codes is slowed whichever it uses (the codes are unguessable anyway; this keeps the load down)."""

from rest_framework.throttling import SimpleRateThrottle

from portal.accounts.lockout import client_ip


class VerifyThrottle(SimpleRateThrottle):
    scope = "verify"

    def get_rate(self):
        """Read when the request comes (DRF's class attribute is fixed at import), so settings apply."""
        from django.conf import settings

        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope, "120/min")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}
