from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from aftersales import scoping
from aftersales.middleware import activate_user_preferences


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token …``; the token's user gets its own language and time zone for the request.

    The token is read with its user and what the user's scope and roles need (its dealer, its role groups:
    ``aftersales.scoping.viewer_columns``), always on the primary: one statement where the role check and
    the scope would each have cost another."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            activate_user_preferences(request._request, result[0])
        return result

    def authenticate_credentials(self, key):
        model = self.get_model()
        quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
        user_id = f"{quote(model._meta.db_table)}.{quote(model._meta.get_field('user').column)}"
        tokens = (
            model.objects.using(DEFAULT_DB_ALIAS).select_related("user").annotate(**scoping.viewer_columns(user_id))
        )
        try:
            token = tokens.get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        scoping.keep_viewer(token.user, token.viewer_dealer, token.viewer_groups)
        return (token.user, token)
