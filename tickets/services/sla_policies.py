"""Admin writes of SLA policies: stored through here, and the open cases under the policy get their
deadlines recomputed at once (pauses, targets and ladder as now configured)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import models, transaction
from django.utils import timezone

from tickets import transitions
from tickets.models import SLAMetric, SLAPolicy, Ticket
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
def sla_policy_save(
    policy: SLAPolicy,
    *,
    rows: Iterable[models.Model] = (),
    deleted: Iterable[models.Model] = (),
    m2m: dict[str, Iterable] | None = None,
    now: datetime | None = None,
) -> SLAPolicy:
    """Store a policy with its rows (severities, targets, distance bands, zones, escalation steps: each a row
    of the policy, saved in the order given after ``deleted`` are removed) and its many-to-many choices, in
    one transaction; the pausing statuses are checked here once, and the policy's open cases get their
    deadlines recomputed once, after everything is stored."""
    now = now or timezone.now()
    if policy.pk is None:
        policy.created_at = now
    policy.pause_statuses = clean_pause_statuses(
        policy.pause_statuses or {}, SLAMetric.objects.values_list("code", flat=True)
    )
    policy.save()
    for name, values in (m2m or {}).items():
        getattr(policy, name).set(values)
    for row in deleted:
        if row.pk is not None:
            row.delete()
    for row in rows:
        row.policy = policy
        row.save()
    recompute_open_cases(policy, now=now)
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
