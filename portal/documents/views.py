"""Public verification (no sign-in): ``/verify/<code>/`` (a page) and ``/api/v1/verify/<code>/`` (JSON).

Anyone holding the paper may check it, so the answer shows what was issued, to whom (name masked), when,
and whether it still holds — never an ID number. An unknown code answers 404 on both."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.documents import selectors
from portal.documents.models import DocumentStatus
from portal.documents.throttling import VerifyThrottle

TEMPLATE = "documents/verify.html"


def _private(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the code stays out of other sites' logs
    return response


def fact_rows(document) -> list[tuple[str, str]]:
    """The document's public facts as (label, value), in the order they were given."""
    from portal.documents.facts import label_for

    return [(label_for(key), str(value)) for key, value in document.facts.items() if value not in ("", None)]


@require_safe
@never_cache  # the status changes when a document is revoked or superseded
def verify_page(request, code: str):
    throttle = VerifyThrottle()
    if not throttle.allow_request(request, None):
        response = render(request, TEMPLATE, {"throttled": True}, status=429)
        response["Retry-After"] = str(int(throttle.wait() or 60))
        return _private(response)
    document = selectors.document_by_code(code)
    if document is None:
        return _private(render(request, TEMPLATE, {"genuine": False}, status=404))
    context = {
        "genuine": True,
        "d": document,
        "facts": fact_rows(document),
        "newer": document.superseded_by if document.status == DocumentStatus.SUPERSEDED else None,
    }
    return _private(render(request, TEMPLATE, context))


def legacy_redirect(document):
    """An earlier QR link (before codes) that maps to a registered document: to its /verify/ page."""
    return redirect("documents:verify", code=document.code, permanent=False)


VerificationSerializer = inline_serializer(
    "DocumentVerification",
    {
        "valid": serializers.BooleanField(),
        "document": serializers.CharField(),
        "holder": serializers.CharField(),
        "issued_on": serializers.DateField(),
        "status": serializers.ChoiceField(choices=DocumentStatus.choices),
    },
)


class VerifyView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [VerifyThrottle]

    @extend_schema(
        summary="Verify an issued document by the code its QR code carries (public)",
        responses={200: VerificationSerializer, 404: OpenApiResponse(description="No such document.")},
    )
    def get(self, request, code: str):
        document = selectors.document_by_code(code)
        if document is None:
            raise exceptions.NotFound(_("No document carries this code."))
        response = Response(selectors.verification(document))
        response["Cache-Control"] = "no-store"
        return _private(response)
