"""Apply the signed-in user's language and time zone to every request."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone, translation


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
