"""The page a QR code on a notice printed before the document registry opens
(``/enrollment/verify/<token>/``): it redirects to the registered document's ``/verify/<code>/``, which
says whether the notice still holds. A forged or altered token, or one no document answers to, gets the
registry's "not a genuine document" page (404)."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from enrollment.notice import document_for_token
from portal.documents.views import TEMPLATE, legacy_redirect


@require_safe
@never_cache
def verify_notice_page(request, token: str):
    document = document_for_token(token)
    if document is None:
        response = render(request, TEMPLATE, {"genuine": False}, status=404)
    else:
        response = legacy_redirect(document)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token stays out of other sites' logs
    return response
