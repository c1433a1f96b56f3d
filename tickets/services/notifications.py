"""Notifications leave the product by e-mail (a digest per recipient and sweep) and pluggable channels."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from aftersales.models import User
from tickets.channels import channels
from tickets.models import Notification


def notification_digest_send(*, user_id: int, notification_ids: list[int], now: datetime | None = None) -> int:
    """E-mail the notifications not e-mailed yet, in the recipient's language; safe to retry (rows already
    sent are skipped). Returns how many went out."""
    now = now or timezone.now()
    user = User.objects.filter(pk=user_id, is_active=True).first()
    pending = list(
        Notification.objects.filter(pk__in=notification_ids, recipient_id=user_id, emailed_at__isnull=True)
        .select_related("ticket")
        .order_by("id")
    )
    if user is None or not pending or not user.email:
        return 0
    with translation.override(user.language), timezone.override(user.time_zone):
        context = {"user": user, "notifications": pending, "base_url": settings.SITE_URL}
        subject = render_to_string("tickets/email/digest_subject.txt", context).strip()
        body = render_to_string("tickets/email/digest.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
    return len(pending)


def notification_mark_read(*, notification: Notification, now: datetime | None = None) -> Notification:
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_channels_send(*, notification_ids: list[int]) -> int:
    active = channels()
    if not active:
        return 0
    notifications = list(
        Notification.objects.filter(pk__in=notification_ids).select_related("recipient", "ticket").order_by("id")
    )
    for channel in active:
        channel.send(notifications)
    return len(notifications)


def role_members(role: str) -> list[int]:
    """Ids of the active users in a role (its auth group)."""
    return list(User.objects.filter(groups__name=role, is_active=True).values_list("id", flat=True))
