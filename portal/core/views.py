"""What every app's pages share: the role a page needs, and small site-wide views."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


def role_required(test, message):
    """A page for signed-in users who pass ``test(user)``; others get ``403`` with ``message``."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not test(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico on every page that names no icon (the admin, the API, a PDF): send
    them to the static file rather than answer 404."""
    return redirect(static("favicon.ico"))
