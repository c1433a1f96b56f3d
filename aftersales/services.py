"""Account services: every change to a user's own settings goes through here and writes a UserEvent."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from aftersales.errors import ApplicationError
from aftersales.models import User, UserEvent, validate_time_zone

INVALID_LANGUAGE = "invalid_language"
INVALID_TIME_ZONE = "invalid_time_zone"


@transaction.atomic
def user_update_preferences(
    *,
    user: User,
    actor: User,
    language: str | None = None,
    time_zone: str | None = None,
    now: datetime | None = None,
) -> User:
    """Change a user's language and/or time zone; records the old and new values."""
    now = now or timezone.now()
    changes: dict[str, list[str]] = {}
    if language is not None and language != user.language:
        if language not in User.Language.values:
            raise ApplicationError(
                INVALID_LANGUAGE,
                _("Unknown language."),
                details={"language": [_("Choose one of: %s.") % ", ".join(User.Language.values)]},
            )
        changes["language"] = [user.language, language]
        user.language = language
    if time_zone is not None and time_zone != user.time_zone:
        try:
            validate_time_zone(time_zone)
        except ValidationError as error:
            raise ApplicationError(
                INVALID_TIME_ZONE, _("Unknown time zone."), details={"time_zone": list(error.messages)}
            ) from error
        changes["time_zone"] = [user.time_zone, time_zone]
        user.time_zone = time_zone
    if changes:
        user.save(update_fields=[field for field in changes])
        UserEvent.objects.create(user=user, actor=actor, kind=UserEvent.Kind.PREFERENCES_CHANGED, data=changes, at=now)
    return user


@transaction.atomic
def user_change_password(*, user: User, new_password: str, request=None, now: datetime | None = None) -> User:
    """Set a new (already validated) password; keeps the current session logged in."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    if request is not None:
        update_session_auth_hash(request, user)
    UserEvent.objects.create(user=user, actor=user, kind=UserEvent.Kind.PASSWORD_CHANGED, at=now or timezone.now())
    return user


@transaction.atomic
def user_issue_token(*, user: User, now: datetime | None = None) -> Token:
    """Return the user's API token, creating it on first use."""
    token, created = Token.objects.get_or_create(user=user)
    if created:
        UserEvent.objects.create(user=user, actor=user, kind=UserEvent.Kind.TOKEN_ISSUED, at=now or timezone.now())
    return token


@transaction.atomic
def user_revoke_token(*, user: User, now: datetime | None = None) -> bool:
    """Delete the user's API token; a new one is issued on the next login through the API."""
    deleted, _rows = Token.objects.filter(user=user).delete()
    if deleted:
        UserEvent.objects.create(user=user, actor=user, kind=UserEvent.Kind.TOKEN_REVOKED, at=now or timezone.now())
    return bool(deleted)
