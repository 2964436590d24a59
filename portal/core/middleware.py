"""A request body over the limit answers 413 — JSON for the API, a page otherwise — never a 400 or 500.

Django refuses a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with ``RequestDataTooBig`` only when a view reads
it, which the API's exception handler turned into a 500 and the pages into a bare 400. A declared
``Content-Length`` over the limit is refused here before anything reads the body; uploads (multipart, whose
files do not count towards the limit) and bodies without a length still end in ``RequestDataTooBig``,
which :func:`too_large_response` answers wherever it is raised."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def too_large_message() -> str:
    limit_mb = max(1, settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024))
    return _("The request is too large: at most %(limit)d MB may be sent at once.") % {"limit": limit_mb}


def too_large_response(request):
    if request.path.startswith(API_PREFIX) or "json" in request.headers.get("Accept", ""):
        return JsonResponse({"detail": too_large_message()}, status=413)
    response = TemplateResponse(request, "413.html", {"message": too_large_message()}, status=413)
    return response.render()


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        content_type = request.META.get("CONTENT_TYPE", "")
        if limit is not None and not content_type.startswith("multipart/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return too_large_response(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """CsrfViewMiddleware reads the form of a POST before any view runs: read it here first, where a
        form over the limit can still be answered."""
        if request.method == "POST" and not getattr(view_func, "csrf_exempt", False):
            try:
                request.POST  # noqa: B018 (parses the body, as CsrfViewMiddleware would)
            except RequestDataTooBig:
                request._mark_post_parse_error()
                return too_large_response(request)
            except OSError:
                return None  # a broken connection: CsrfViewMiddleware answers it as before
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            request._mark_post_parse_error()
            return too_large_response(request)
        return None
