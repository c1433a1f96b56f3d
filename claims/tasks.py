"""Celery tasks: thin wrappers that take ``now`` (ISO, default the current time), call one service, and can
be re-run without harm (the services lock with SKIP LOCKED and skip what is done)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from claims.services.returns import returns_reject_overdue
from claims.services.review import claims_escalate_overdue
from claims.services.settlement import settlements_issue_periodic


def _now(now: str | None):
    return parse_datetime(now) if now else timezone.now()


@shared_task(name="claims.review_overdue", ignore_result=True)
def review_overdue_task(now: str | None = None) -> int:
    """Beat: claims not reviewed by their deadline go to the reviewers' manager, once per review round."""
    return claims_escalate_overdue(now=_now(now))


@shared_task(name="claims.returns_overdue", ignore_result=True)
def returns_overdue_task(now: str | None = None) -> int:
    """Beat: lines whose old part was not received by its deadline are rejected ("part not returned")."""
    return returns_reject_overdue(now=_now(now))


@shared_task(name="claims.statements_periodic", ignore_result=True)
def statements_periodic_task(now: str | None = None) -> int:
    """Beat: each dealer's periodic statement of the approved lines of the last closed period not settled
    yet (《三包费用核销通知》); a second run issues nothing."""
    return len(settlements_issue_periodic(now=_now(now)))
