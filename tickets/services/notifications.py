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


def role_audience(role: str) -> list[tuple[int, int | None]]:
    """(user id, dealer id or None) of the active users in a role (its auth group)."""
    return list(
        User.objects.filter(groups__name=role, is_active=True).values_list("id", "dealer_membership__dealer_id")
    )


def role_members(role: str, *, dealers=()) -> list[int]:
    """Ids of the active users in a role who may see what is announced: the manufacturer's staff, and a
    dealer's people only when it is about their dealer's object (``dealers``: the ids it belongs to) — a
    dealer's engineer in the engineer role hears of its own dealer's cases, never of another's."""
    return audience_for(role_audience(role), dealers)


def audience_for(audience: list[tuple[int, int | None]], dealers) -> list[int]:
    owners = {dealer for dealer in dealers if dealer}
    return [user_id for user_id, dealer_id in audience if dealer_id is None or dealer_id in owners]


def ticket_dealers(ticket) -> set[int]:
    """The dealers a case belongs to (aftersales.scoping's rule for tickets): its outlet, its unit's seller."""
    owners = {ticket.serving_outlet_id}
    if ticket.unit_id:
        owners.add(ticket.unit.selling_dealer_id)
    return {owner for owner in owners if owner}


def in_every_language(render) -> dict:
    """``render()`` -> (title, text) under each language of the product, for ``Notification.texts``: the
    reader sees it in the language they read in, whichever it was when it was sent."""
    texts = {}
    for code in User.Language.values:
        with translation.override(code):
            title, body = render()
            texts[code] = {"title": str(title)[:200], "body": str(body)}
    return texts
