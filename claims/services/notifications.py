"""Claim notifications: rows in the product's in-app inbox (kind ``claim_*``, ``object_id`` the claim or
statement), each in its recipient's language, and the e-mail digest the case escalation uses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from django.utils import timezone, translation

from aftersales.models import User
from aftersales.roles import Role
from claims.services.outbox import enqueue
from dealers.selectors import member_user_ids
from tickets.models import Notification
from tickets.services.notifications import in_every_language
from tickets.tasks import notification_digest_task


def dealer_recipients(dealer_id: int) -> list[int]:
    """The dealer's staff: who is told about its claims, returns and statements."""
    return member_user_ids(dealer_id, role=Role.DEALER_STAFF)


def maker_recipients(role: str, *, exclude: Iterable[int] = ()) -> list[int]:
    """The maker's own people in a role (a dealer's member holding the role is not the maker's)."""
    users = User.objects.filter(groups__name=role, is_active=True, dealer_membership__isnull=True)
    return [pk for pk in users.order_by("id").values_list("id", flat=True).distinct() if pk not in set(exclude)]


def claim_notify(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    object_id: int,
    title: Callable[[], str],
    body: Callable[[], str] = lambda: "",
    now: datetime,
) -> list[Notification]:
    """One notification per recipient; ``title`` and ``body`` are rendered in each recipient's language.
    Each recipient's digest e-mail goes out after commit."""
    ids = list(dict.fromkeys(recipient_ids))
    if not ids:
        return []
    people = {
        pk: (language, zone)
        for pk, language, zone in User.objects.filter(pk__in=ids).values_list("id", "language", "time_zone")
    }
    rows = []
    for user_id in ids:
        language, zone = people.get(user_id, (None, None))
        with translation.override(language or None), timezone.override(zone or None):
            rows.append(
                Notification(
                    recipient_id=user_id,
                    kind=kind,
                    title=str(title())[:200],
                    body=str(body()),
                    texts=in_every_language(lambda: (title(), body())),
                    object_id=object_id,
                    created_at=now,
                )
            )
    created = Notification.objects.bulk_create(rows)
    by_user = defaultdict(list)
    for notification in created:
        by_user[notification.recipient_id].append(notification.pk)
    for user_id, notification_ids in by_user.items():
        enqueue(notification_digest_task, user_id, notification_ids)
    return created
