"""API conventions: every error is JSON with a message per field, never an HTML page or a 500."""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.cases.workflow import ActionNotAllowed
from portal.core.middleware import too_large_message
from portal.core.models import AppendOnlyError

log = logging.getLogger(__name__)


@extend_schema_serializer(component_name="ErrorDetail")
class DetailSerializer(serializers.Serializer):
    """An error answer: ``{"detail": "…"}`` (for the OpenAPI schema)."""

    detail = serializers.CharField()


class FirstRendererNegotiation(BaseContentNegotiation):
    """The PDF view answers errors as JSON whatever the client accepts (a PDF viewer sends
    ``Accept: application/pdf``); the PDF itself is a plain HttpResponse and needs no renderer."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The action is not allowed in the current state."
    default_code = "conflict"


def exception_handler(exc, context):
    """Kernel and Django errors as DRF answers: a rule that refuses the action now (``ActionNotAllowed``)
    → ``409`` with the rule; any other ``ValidationError`` → ``400`` with a message per field;
    ``PermissionDenied`` → ``403`` with what the service said."""
    if isinstance(exc, ActionNotAllowed):
        exc = Conflict("; ".join(exc.messages))
    elif isinstance(exc, ValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(too_large_message())
    elif isinstance(exc, AppendOnlyError):
        exc = Conflict(str(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("unhandled API error in %s", context.get("view").__class__.__name__)
        return Response(
            {"detail": _("An internal error occurred; it has been logged. Please try again later.")},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return response
