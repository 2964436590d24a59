"""Small site-wide views."""

from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico on every page that names no icon (the admin, the API, a PDF): send
    them to the static file rather than answer 404."""
    return redirect(static("favicon.ico"))
