"""Apply the signed-in user's language and time zone to every request."""

from __future__ import annotations

import zoneinfo

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import timezone, translation

from aftersales.api.validation import NUL_CHARACTER, NUL_MESSAGE, contains_nul


def activate_user_preferences(request, user) -> None:
    translation.activate(user.language)
    request.LANGUAGE_CODE = translation.get_language()
    try:
        timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()


class UserPreferencesMiddleware:
    """Runs after LocaleMiddleware and AuthenticationMiddleware: the user's own choice wins over the
    browser's Accept-Language. API requests signed with a token get the same treatment in
    :class:`aftersales.api.authentication.TokenAuthentication`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.deactivate()
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            activate_user_preferences(request, user)
        return self.get_response(request)


class RejectNulMiddleware:
    """400 for a NUL character in the path, the query string, the Authorization header or a POSTed form,
    on pages and API alike: PostgreSQL refuses NUL in text, so such a value would otherwise fail deep in a
    query. JSON bodies are checked by the API's parsers (:mod:`aftersales.api.parsers`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path.startswith("/api/"):
                from aftersales.api.errors import error_body

                return JsonResponse(error_body(NUL_CHARACTER, NUL_MESSAGE), status=400)
            return HttpResponseBadRequest(str(NUL_MESSAGE), content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path or "\x00" in request.META.get("HTTP_AUTHORIZATION", ""):
            return True
        if contains_nul(dict(request.GET.lists())):
            return True
        content_type = request.content_type or ""
        if request.method == "POST" and content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if contains_nul(dict(request.POST.lists())):
                return True
            return contains_nul([upload.name for upload in request.FILES.values()])
        return False


class FriendlyNotFoundMiddleware:
    """A page that does not exist (or is not the user's) answers with the product's own 404 page, in debug
    too (Django would show its technical page there); the API keeps its JSON error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.shortcuts import render
        from django.urls import Resolver404, resolve

        if settings.DEBUG and not request.path.startswith("/api/"):
            try:
                resolve(request.path_info)
            except Resolver404:
                return render(request, "404.html", status=404)
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.http import Http404
        from django.shortcuts import render

        if isinstance(exception, Http404) and not request.path.startswith("/api/"):
            return render(request, "404.html", status=404)
        return None
