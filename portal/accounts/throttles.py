"""How often sign-in codes may be asked for.

Codes cost money and can be used to pester someone, so they are limited where the harm is: per phone
number — one code a minute (settings.OTP_RESEND_INTERVAL) and a cap per rolling day
(settings.OTP_DAILY_LIMIT), counted in the database that every process shares. A school, an office or a
carrier's NAT puts thousands of families behind one address, so the per-address limit
(settings.OTP_ADDRESS_RATE, e.g. "300/min") is only a guard against SMS pumping; it lives in the default
cache, which production points at Redis so that every process counts together.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle


class CodeRequestRefused(ValidationError):
    """A code for this phone was refused for now; ``wait_seconds`` says for how long (a field error on
    ``phone``, answered 429 with Retry-After by the API)."""

    def __init__(self, message: str, *, wait_seconds: int):
        super().__init__({"phone": [message]})
        self.wait_seconds = max(1, int(wait_seconds))


class CodeRequestsPerAddress(SimpleRateThrottle):
    """Code requests per client address, shared by the sign-in page and the API (one count for both).

    The address is DRF's (it honours NUM_PROXIES behind a reverse proxy). The rate is read from settings
    at each request so that it can be tuned without a code change."""

    scope = "otp-address"

    def get_rate(self):
        return settings.OTP_ADDRESS_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def address_allows_code_request(request) -> tuple[bool, int]:
    """Count one code request from ``request``'s address: (allowed, seconds to wait when refused)."""
    throttle = CodeRequestsPerAddress()
    if throttle.allow_request(request, None):
        return True, 0
    return False, int(throttle.wait() or 1) + 1


def too_many_from_address_message() -> str:
    return _("Too many codes were requested from this network. Please try again later.")
