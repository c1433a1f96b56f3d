from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def role_required(*roles):
    """A page for these roles only: others signed in get the 403 page, anonymous users the login page."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_role(*roles):
                return render(request, "403.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
