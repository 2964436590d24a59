"""What every app's pages share: the role a page needs."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


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
