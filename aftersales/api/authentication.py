from rest_framework import authentication

from aftersales.middleware import activate_user_preferences


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token …``; the token's user gets its own language and time zone for the request."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            activate_user_preferences(request._request, result[0])
        return result
