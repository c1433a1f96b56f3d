"""Login limits (django-axes): per account and per client address, on the login page, the admin's login and
the API token endpoint. Attempts are stored in PostgreSQL, so logins keep working while Redis is down."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

LOGIN_LOCKED = "login_locked"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or, behind ``TRUSTED_PROXY_COUNT`` proxies, the address the
    outermost of them saw in ``X-Forwarded-For`` (each proxy appends the one it received from). Entries a
    client put in the header itself come before that one and are never used."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote  # not sent through all the proxies we were told about: do not trust the header
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def lockout_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_message() -> str:
    minutes = lockout_minutes()
    return _(
        "Too many failed logins for this account or from this address. Try again in %(minutes)d minutes, "
        "or ask an administrator to unlock it."
    ) % {"minutes": minutes}


def lockout_json() -> JsonResponse:
    from aftersales.api.errors import error_body

    response = JsonResponse(error_body(LOGIN_LOCKED, lockout_message()), status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """What a locked-out client gets (``AXES_LOCKOUT_CALLABLE``): 429 with Retry-After; JSON under /api/, the
    login page with the reason elsewhere."""
    if request.path.startswith("/api/"):
        return lockout_json()
    context = {
        "form": AuthenticationForm(request),
        "locked_out": lockout_message(),
        "next": request.GET.get("next", ""),
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
