"""django-axes hooks: failures are counted per account (user name or phone), and a locked-out person gets
a clear answer — JSON for the API, a page for the browser."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def username_from_request(request, credentials):
    credentials = credentials or {}
    value = credentials.get("phone") or credentials.get("username")
    if value is None and request is not None and hasattr(request, "POST"):
        value = request.POST.get("phone") or request.POST.get("username")
    return value


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
