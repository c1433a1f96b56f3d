"""SLA timers: created from the policy's targets, recomputed from the pause ledger, stopped by what happened.

How a timer ends is what dashboards count, so each outcome means one thing:

- ``met`` / ``breached`` with ``met_at``: the work the metric times was done, in time or late;
- ``breached`` without ``met_at``: it was owed and never given (a loaner due before the case was resolved);
- ``not_needed``: the case never needed it (solved by phone or remotely, so no visit; resolved before a
  loaner was due); if its deadline had passed meanwhile, ``breached_at`` still says when;
- ``cancelled``: the case was cancelled, or a policy change dropped the metric.

A stopped timer keeps ``stopped_at``, the business minutes it used (on the policy calendar, pauses left out)
and, when late, the business minutes it was late by, so compliance and medians are plain SQL on columns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection

from tickets import business_time, calendar_check, sla
from tickets.models import SLATarget, Ticket, Timer
from tickets.services.clock import Clock, clock_for
from tickets.services.ladder import Ladder, PolicyCache, ladder_for

logger = logging.getLogger(__name__)
ACTIVE = (Timer.State.RUNNING, Timer.State.PAUSED, Timer.State.BREACHED)
# Metrics still owed once their deadline has passed, even if the case ends without them (domain.md §3: a
# loaner is due when the case is not resolved within N hours).
OWED_WHEN_LATE = ("loaner",)
# A case whose deadlines or escalation could not be worked out is tried again this much later.
RETRY_AFTER = timedelta(minutes=30)


# The timers whose deadline is the case's next one (the queue's deadline order): open, running or past due.
NEXT_DUE_STATES = (Timer.State.RUNNING, Timer.State.BREACHED)
REFRESH_SQL = """
WITH due AS (
    SELECT k.id, min(t.due_at) AS next_due_at
      FROM tickets_ticket k
      LEFT JOIN tickets_timer t
        ON t.ticket_id = k.id AND t.state = ANY(%(states)s) AND t.stopped_at IS NULL
     WHERE k.id = ANY(%(ids)s)
     GROUP BY k.id
), changed AS (
    UPDATE tickets_ticket k SET next_due_at = due.next_due_at
      FROM due
     WHERE k.id = due.id AND k.next_due_at IS DISTINCT FROM due.next_due_at
)
SELECT id, next_due_at FROM due
"""


def refresh_next_due_at(tickets: Iterable) -> dict[int, datetime | None]:
    """Store each case's next deadline (``Ticket.next_due_at``) from its timers, in one statement for any
    number of cases; rows whose value did not change are not written. Takes ids or cases (a case passed in
    gets the new value too). Callers hold the cases' locks when they changed their timers."""
    given = list(tickets)
    ids = sorted({getattr(item, "pk", item) for item in given})
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(REFRESH_SQL, {"ids": ids, "states": list(NEXT_DUE_STATES)})
        values = dict(cursor.fetchall())
    for item in given:
        if hasattr(item, "pk") and item.pk in values:
            item.next_due_at = values[item.pk]
    return values


def minutes_for(ticket: Ticket, target: SLATarget) -> int:
    if target.metric.code == sla.ONSITE:
        return sla.onsite_minutes(
            ticket.sla_policy,
            target.minutes,
            distance_km=ticket.distance_km,
            province=ticket.site.province if ticket.site_id else "",
        )
    return target.minutes


def timers_plan(ticket: Ticket, *, now: datetime, cache: PolicyCache | None = None) -> list[Timer]:
    """The timers of a case being opened, with their deadlines and first ladder steps, not saved yet: the
    case (saved or not) has no pauses and no fired steps, so nothing is read beyond its policy's targets,
    steps and calendar — none at all when intake attached them to the policy (``sla_config.with_details``)
    and passes its ladder ``cache``. ``ticket_create`` stores them in one INSERT after the case row."""
    policy = ticket.sla_policy
    if "targets" in getattr(policy, "_prefetched_objects_cache", {}):
        targets = policy.targets.all()  # read with their metrics
    else:
        targets = policy.targets.select_related("metric")
    targets = [t for t in targets if t.severity_id == ticket.severity_id]
    timers = [
        Timer(
            ticket=ticket,
            metric=target.metric,
            target_minutes=minutes_for(ticket, target),
            started_at=ticket.reported_at,
        )
        for target in targets
    ]
    if timers:
        _deadlines(ticket, timers, now=now, ledger=[], fired={}, cache=cache)
    return timers


def next_due_of(timers: list[Timer]) -> datetime | None:
    """What ``refresh_next_due_at`` would store for these timers (all of a case's)."""
    dues = [t.due_at for t in timers if t.state in NEXT_DUE_STATES and t.stopped_at is None and t.due_at]
    return min(dues, default=None)


def timers_create(ticket: Ticket, *, now: datetime) -> list[Timer]:
    timers = Timer.objects.bulk_create(timers_plan(ticket, now=now))
    refresh_next_due_at([ticket])
    return timers


def timers_retarget(ticket: Ticket, *, now: datetime) -> None:
    """After a change of severity or policy: new target minutes per metric, deadlines again from the ledger."""
    targets = {
        t.metric_id: t
        for t in ticket.sla_policy.targets.select_related("metric")
        if t.severity_id == ticket.severity_id
    }
    existing = set()
    for timer in ticket.timers.select_related("metric"):
        existing.add(timer.metric_id)
        target = targets.get(timer.metric_id)
        if target is None:
            if timer.stopped_at is None and timer.met_at is None:
                timer.state, timer.next_action_at, timer.stopped_at = Timer.State.CANCELLED, None, now
                timer.save(update_fields=["state", "next_action_at", "stopped_at"])
            continue
        timer.target_minutes = minutes_for(ticket, target)
        timer.save(update_fields=["target_minutes"])
    missing = [t for metric_id, t in targets.items() if metric_id not in existing]
    Timer.objects.bulk_create(
        Timer(ticket=ticket, metric=t.metric, target_minutes=minutes_for(ticket, t), started_at=ticket.reported_at)
        for t in missing
    )
    timers_recompute(ticket, now=now)


DEADLINE_FIELDS = ["due_at", "state", "breached_at", "breach_minutes", "next_action_at", "sla_error", "sla_error_at"]


def timers_recompute(
    ticket: Ticket,
    *,
    now: datetime,
    timers: list[Timer] | None = None,
    refresh: bool = True,
    ladder: Ladder | None = None,
) -> None:
    """Deadlines from the start, the target and the pauses that apply to each metric; state from ``now``.

    A calendar the arithmetic cannot work with (an admin's broken calendar) never makes the caller fail:
    the open timers keep no deadline, carry the problem for admins, and the sweep tries them again later.
    ``refresh`` False leaves the case's stored next deadline to the caller (one refresh for a batch);
    ``ladder`` is the case's ladder when the caller has it already (the sweep)."""
    timers = list(ticket.timers.select_related("metric")) if timers is None else timers
    if not timers:
        if refresh and ticket.next_due_at is not None:
            refresh_next_due_at([ticket])
        return
    open_timers = _deadlines(ticket, timers, now=now, ladder=ladder)
    Timer.objects.bulk_update(open_timers, DEADLINE_FIELDS)
    if refresh:
        refresh_next_due_at([ticket])


def _deadlines(ticket: Ticket, timers: list[Timer], *, now: datetime, ladder: Ladder | None = None, **known):
    """Set the open timers' deadlines, states and next actions in memory; returns the open timers."""
    open_timers = [t for t in timers if t.stopped_at is None and t.met_at is None]
    try:
        ladder = ladder or ladder_for(ticket, timers, **known)
        planned = []
        for timer in open_timers:
            due = ladder.clock.due_at(timer.started_at, timer.target_minutes, timer.metric.code)
            # The next ladder step not fired yet; steps already due are the sweep's to fire (every minute).
            planned.append((timer, due, None if due is None else ladder.next_action(timer)))
    except business_time.CalendarError as error:
        logger.warning("Case %s: deadlines not computed: %s", ticket.number, error)
        problem = f"{error.code}: {calendar_check.message(error)}"
        for timer in open_timers:
            timer.due_at, timer.breached_at, timer.breach_minutes = None, None, None
            timer.state = Timer.State.RUNNING
            timer.next_action_at = now + RETRY_AFTER
            timer.sla_error, timer.sla_error_at = problem, now
        return open_timers
    for timer, due, next_action in planned:
        timer.due_at = due
        if due is None:
            timer.state, timer.breached_at = Timer.State.PAUSED, None
        elif due <= now:
            timer.state, timer.breached_at = Timer.State.BREACHED, due
        else:
            timer.state, timer.breached_at = Timer.State.RUNNING, None
        timer.next_action_at = next_action
        timer.breach_minutes = None
        timer.sla_error, timer.sla_error_at = "", None
    return open_timers


def _stop(timer: Timer, *, at: datetime, clock: Clock, state: str | None = None, met: bool = False) -> None:
    """Stop a timer for good at ``at``: met (in time or late), or ``state`` (not needed, cancelled, owed)."""
    used = business_time.elapsed_business_minutes(clock.calendar, timer.started_at, at, clock.pauses(timer.metric.code))
    late = timer.due_at is not None and at > timer.due_at
    if met:
        timer.met_at = at
        state = Timer.State.BREACHED if late else Timer.State.MET
    timer.state = state
    timer.stopped_at = at
    timer.business_minutes = used
    # When the deadline passed, whatever the outcome; how late only where lateness counts (met late, owed).
    timer.breached_at = timer.due_at if late else None
    late_counts = state == Timer.State.BREACHED
    timer.breach_minutes = max(used - timer.target_minutes, 0) if late_counts else None
    timer.next_action_at = None


STOP_FIELDS = ["state", "met_at", "stopped_at", "business_minutes", "breached_at", "breach_minutes", "next_action_at"]


def _open(ticket: Ticket, metrics: tuple[str, ...] | None = None) -> list[Timer]:
    timers = ticket.timers.select_related("metric").filter(stopped_at__isnull=True, met_at__isnull=True)
    if metrics is not None:
        timers = timers.filter(metric__code__in=metrics)
    return list(timers.order_by("id"))


def timers_meet(ticket: Ticket, metrics: tuple[str, ...], *, at: datetime, refresh: bool = True) -> list[str]:
    """The work these metrics time was done at ``at``: met, or breached with the business minutes late."""
    timers = _open(ticket, metrics)
    if not timers:
        return []
    clock = clock_for(ticket)
    for timer in timers:
        _stop(timer, at=at, clock=clock, met=True)
    Timer.objects.bulk_update(timers, STOP_FIELDS)
    if refresh:
        refresh_next_due_at([ticket])
    return [timer.metric.code for timer in timers]


def timers_end(ticket: Ticket, *, at: datetime, cancelled: bool = False, refresh: bool = True) -> dict[str, str]:
    """The case ended (resolved, or ``cancelled``): every timer still open stops. After a resolution a metric
    not met was not needed, except one still owed once late (a loaner due before the case was resolved).
    Returns metric code -> outcome."""
    timers = _open(ticket)
    if not timers:
        return {}
    clock = clock_for(ticket)
    for timer in timers:
        if cancelled:
            state = Timer.State.CANCELLED
        elif timer.metric.code in OWED_WHEN_LATE and timer.due_at is not None and timer.due_at < at:
            state = Timer.State.BREACHED
        else:
            state = Timer.State.NOT_NEEDED
        _stop(timer, at=at, clock=clock, state=state)
    Timer.objects.bulk_update(timers, STOP_FIELDS)
    if refresh:
        refresh_next_due_at([ticket])
    return {timer.metric.code: timer.state for timer in timers}
