"""django-axes hooks: failures are counted per account (user name or phone) *and* address, and a
locked-out person gets a clear answer — JSON for the API, a page for the browser.

Locking per account alone let anyone lock any account, an administrator's included, by typing wrong
passwords for it; per account and address (axes' combination) a stranger locks only their own attempts.
Staff lift a lockout with :func:`user_unlock` (the users admin's action), which is logged."""

import logging
import re

from axes.utils import reset
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal.core import pii

log = logging.getLogger(__name__)


_PHONE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def lockout_name_for_phone(phone: str) -> str:
    """The name axes counts a phone's failures under: its keyed hash, never the number itself (axes' tables
    and the admin's attempt lists would otherwise hold every number that tried to sign in)."""
    return "tel:" + pii.keyed_hash(phone)


def lockout_name(value: str | None) -> str | None:
    """A staff user name as it is; anything that is a mobile number (typed as a phone, or into the user
    name box) as :func:`lockout_name_for_phone`."""
    if value is None:
        return None
    match = _PHONE.match(re.sub(r"[\s-]", "", str(value)))
    return lockout_name_for_phone(match[1]) if match else value


def username_from_request(request, credentials):
    credentials = credentials or {}
    value = credentials.get("phone") or credentials.get("username")
    if value is None and request is not None and hasattr(request, "POST"):
        value = request.POST.get("phone") or request.POST.get("username")
    return lockout_name(value)


def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` proxies the address the
    outermost trusted proxy appended to X-Forwarded-For (what the client itself wrote there is ignored)."""
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("Too many failed sign-in attempts. This account is locked for %(m)d minutes.") % {
        "m": minutes
    }
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "accounts/locked.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def lockout_usernames(user) -> list[str]:
    """The names axes counts a user's failures under: the user name (staff) and the phone (citizens)."""
    return [lockout_name(name) for name in (user.username, user.phone) if name]


def user_unlock(*, user, by) -> int:
    """Lift every sign-in lockout of ``user`` (from every address); recorded in the user's admin history
    and the log. Returns how many attempt records were removed."""
    with transaction.atomic():
        removed = sum(reset(username=name) for name in lockout_usernames(user))
        LogEntry.objects.log_actions(
            by.pk,
            [user],
            CHANGE,
            change_message=_("Sign-in lockout lifted (%(n)d attempt records removed).") % {"n": removed},
            single_object=True,
        )
    log.warning("sign-in lockout of user %s lifted by user %s (%d attempt records)", user.pk, by.pk, removed)
    return removed
