"""One rate per client address for public verification, shared by the page and the API, so a sweep of
guessed codes is slowed whichever it uses (the codes are unguessable anyway; this keeps the load down).
The rate is ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["verify"]`` (``VERIFY_RATE``, 120/min)."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from portal.accounts.lockout import client_ip


class VerifyThrottle(SimpleRateThrottle):
    scope = "verify"

    def get_rate(self):
        # read when asked, not when DRF's class was defined, so a changed setting takes effect
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}
