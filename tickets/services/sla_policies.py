"""Admin writes of SLA policies: stored through here, and the open cases under the policy get their
deadlines recomputed at once (pauses, targets and ladder as now configured)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tickets import transitions
from tickets.models import SLAPolicy, Ticket
from tickets.services import timers as timer_services
from tickets.services.tickets import ticket_lock

# The statuses the pause ledger records (tickets.services.tickets): only these can pause a metric.
PAUSABLE_STATUSES = (transitions.WAITING_CUSTOMER, transitions.WAITING_PARTS)


def clean_pause_statuses(value: dict, metric_codes) -> dict[str, list[str]]:
    """Metric code -> pausing statuses, known metrics and pausable statuses only, in a stable order."""
    known = set(metric_codes)
    return {
        code: [status for status in PAUSABLE_STATUSES if status in set(statuses)]
        for code, statuses in sorted(value.items())
        if code in known and any(status in PAUSABLE_STATUSES for status in statuses)
    }


@transaction.atomic
def sla_policy_save(policy: SLAPolicy, *, now: datetime | None = None) -> SLAPolicy:
    now = now or timezone.now()
    if policy.pk is None:
        policy.created_at = now
    policy.save()
    return policy


def recompute_open_cases(policy: SLAPolicy, *, now: datetime | None = None) -> int:
    """Deadlines of the policy's open cases from its current pauses and targets, each under its case lock
    (the lock order every change of a case follows). Returns how many cases were recomputed."""
    now = now or timezone.now()
    count = 0
    ids = list(
        Ticket.objects.filter(sla_policy=policy, status__in=transitions.OPEN_STATUSES).values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            try:
                ticket = ticket_lock(Ticket(pk=pk))
            except Ticket.DoesNotExist:
                continue
            timer_services.timers_recompute(ticket, now=now)
            count += 1
    return count
