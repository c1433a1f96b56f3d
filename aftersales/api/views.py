from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales import services
from aftersales.api import serializers
from aftersales.api.errors import error_body
from aftersales.api.serializers import ErrorSerializer
from aftersales.auth import lockout_json
from aftersales.models import UserEvent

INVALID_CREDENTIALS = "invalid_credentials"


class TokenView(APIView):
    """Exchange a username and password for an API token, or revoke the caller's token.

    Failed logins count towards the lockout of the account and the client address (django-axes); a locked
    one gets 429 ``login_locked`` even with the right password. Both answers are returned, not raised: a
    raised error rolls the request transaction back, and with it the failure just recorded."""

    def _is_login(self) -> bool:
        return getattr(self.request, "method", None) == "POST"

    def get_permissions(self):
        if self._is_login():
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_authenticators(self):
        # A stale token or session must not stop anyone from logging in again.
        if self._is_login():
            return []
        return super().get_authenticators()

    @extend_schema(
        request=serializers.TokenRequestSerializer,
        responses={200: serializers.TokenSerializer, 429: ErrorSerializer},
        auth=[],
    )
    def post(self, request):
        data = serializers.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if getattr(request, "axes_locked_out", False):
            return lockout_json()
        if user is None:
            message = _("Unable to log in with the username and password given.")
            return Response(error_body(INVALID_CREDENTIALS, message), status=status.HTTP_400_BAD_REQUEST)
        token = services.user_issue_token(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        services.user_revoke_token(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The signed-in user: roles, language and time zone; PATCH changes language and time zone."""

    @extend_schema(responses=serializers.UserSerializer)
    def get(self, request):
        return Response(serializers.UserSerializer(request.user).data)

    @extend_schema(request=serializers.PreferencesSerializer, responses=serializers.UserSerializer)
    def patch(self, request):
        data = serializers.PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update_preferences(user=request.user, actor=request.user, **data.validated_data)
        return Response(serializers.UserSerializer(user).data)


class MyEventsView(ListAPIView):
    """The signed-in user's account history, newest first."""

    serializer_class = serializers.UserEventSerializer
    queryset = UserEvent.objects.none()  # for the schema generator; requests use get_queryset()

    def get_queryset(self):
        return UserEvent.objects.filter(user=self.request.user).select_related("actor").order_by("-at", "-id")
