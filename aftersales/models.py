"""Accounts (users with their language and time zone) and the append-only event base."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.errors import AppendOnlyError


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone."), code="invalid_time_zone", params={"value": value}
        )


def full_name(first_name: str, last_name: str) -> str:
    """A person's name as shown: Chinese names family name first with no space, others "first last" (for
    lists that read the two columns without building a user)."""
    first, last = first_name.strip(), last_name.strip()
    if any("\u4e00" <= char <= "\u9fff" for char in first + last):
        return f"{last}{first}"
    return f"{first_name} {last_name}".strip()


class User(AbstractUser):
    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @property
    def roles(self) -> list[str]:
        """Role codes of the user, from the role groups it belongs to (cached per instance). Read with the
        user's dealer membership, which the scope of its lookups needs next (aftersales.scoping)."""
        if not hasattr(self, "_roles") and self.pk is not None:
            from aftersales.scoping import read_roles

            read_roles(self)
        if not hasattr(self, "_roles"):
            self._roles = []  # unsaved, or no longer stored
        return self._roles

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or any(role in self.roles for role in roles)


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only.")


class Event(models.Model):
    """Append-only history of one subject: who did what, from which state to which, and when.

    Concrete subclasses add the subject foreign key (``ticket``, ``claim``, …) and an index on
    (subject, at). Their migration adds :class:`aftersales.db.AppendOnly` so the database itself
    refuses UPDATE and DELETE.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for changes made by the system (scheduled jobs)."),
    )
    kind = models.CharField(_("kind"), max_length=64)
    from_state = models.CharField(_("from state"), max_length=32, blank=True)
    to_state = models.CharField(_("to state"), max_length=32, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    at = models.DateTimeField(_("at"))

    objects = EventQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")


class UserEvent(Event):
    """Account history: preference changes, password changes, API tokens issued and revoked."""

    class Kind(models.TextChoices):
        PREFERENCES_CHANGED = "preferences_changed", _("Preferences changed")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        TOKEN_ISSUED = "token_issued", _("API token issued")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="events")

    class Meta(Event.Meta):
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        indexes = [
            # The account page lists a user's events newest first.
            models.Index(fields=["user", "-at"], name="userevent_user_at"),
        ]

    def __str__(self):
        return f"{self.user} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class OutboxMessage(models.Model):
    """A Celery task recorded in the transaction that made it necessary (transactional outbox).

    It is published after that transaction commits and, when the broker was unreachable then, by the beat
    relay later; so a Redis outage delays work (imports, digests, webhooks) and loses none. Tasks sent this
    way must be idempotent: a crash between publishing and marking the row sent publishes it twice."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True, encoder=DjangoJSONEncoder)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # The relay reads the unsent messages oldest first; sent ones are purged by age.
            models.Index(fields=["created_at"], name="outbox_unsent", condition=models.Q(sent_at__isnull=True)),
            models.Index(fields=["sent_at"], name="outbox_sent", condition=models.Q(sent_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.task} #{self.pk}"
