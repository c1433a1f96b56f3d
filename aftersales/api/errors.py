"""One exception handler for the whole API: every error is ``{"code", "message", "details"}``."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback as drf_set_rollback

from aftersales.errors import ApplicationError

logger = logging.getLogger(__name__)

INVALID = "invalid"
SERVER_ERROR = "server_error"
NOT_FOUND = "not_found"
CONFLICT = "conflict"


def error_body(code: str, message, details=None) -> dict:
    return {"code": code, "message": str(message), "details": details or {}}


def _details(detail):
    """DRF error details as plain lists of strings, keyed by field (``non_field_errors`` for the rest)."""
    if isinstance(detail, dict):
        return {key: _details(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_details(item) for item in detail]
    return str(detail)


def set_rollback(context=None) -> None:
    """Roll back the request's own transaction — not one it never opened (a read-only view that runs
    outside a transaction must not mark an enclosing one, e.g. a test's, as broken)."""
    request = (context or {}).get("request")
    match = getattr(getattr(request, "_request", request), "resolver_match", None)
    if match is not None and getattr(match.func, "_non_atomic_requests", None):
        return
    drf_set_rollback()


def exception_handler(exc, context):
    headers = {}
    if isinstance(exc, ApplicationError):
        set_rollback(context)
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.APIException):
        set_rollback(context)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, exceptions.ValidationError):
            details = _details(exc.detail)
            if isinstance(details, list):
                details = {"non_field_errors": details}
            body = error_body(INVALID, _("The input is not valid."), details)
        else:
            codes = exc.get_codes()
            code = codes if isinstance(codes, str) else exc.default_code
            body = error_body(code, exc.detail if isinstance(exc.detail, str) else exc.default_detail)
        return Response(body, status=exc.status_code, headers=headers)

    # Last line of defence: input that passed validation yet broke a database constraint or a column's
    # range. Still a bug to fix at the input (so logged as an error), but the client gets 409 / 400.
    if isinstance(exc, IntegrityError | DataError):
        logger.error("Database refused validated input", exc_info=exc)
        set_rollback(context)
        if isinstance(exc, IntegrityError):
            body = error_body(CONFLICT, _("The change conflicts with data already stored."))
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(error_body(INVALID, _("A value is outside what can be stored.")), status=400)

    # Anything else is a bug: log it, roll back, and still answer in the API's format.
    logger.exception("Unhandled API error", exc_info=exc)
    set_rollback(context)
    return Response(
        error_body(SERVER_ERROR, _("An unexpected error occurred; it has been logged.")),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def api_not_found(request, exception=None):
    return JsonResponse(error_body(NOT_FOUND, _("Not found.")), status=404)


def api_server_error(request):
    return JsonResponse(error_body(SERVER_ERROR, _("An unexpected error occurred; it has been logged.")), status=500)
