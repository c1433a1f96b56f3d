"""SLA timers: created from the policy's targets, recomputed from the pause ledger, met by work done."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tickets import business_time, calendar_check, sla
from tickets.models import SLATarget, Ticket, Timer
from tickets.services.ladder import ladder_for

logger = logging.getLogger(__name__)
ACTIVE = (Timer.State.RUNNING, Timer.State.PAUSED, Timer.State.BREACHED)
# A case whose deadlines or escalation could not be worked out is tried again this much later.
RETRY_AFTER = timedelta(minutes=30)


def minutes_for(ticket: Ticket, target: SLATarget) -> int:
    if target.metric.code == sla.ONSITE:
        return sla.onsite_minutes(
            ticket.sla_policy,
            target.minutes,
            distance_km=ticket.distance_km,
            province=ticket.site.province if ticket.site_id else "",
        )
    return target.minutes


def timers_create(ticket: Ticket, *, now: datetime) -> list[Timer]:
    targets = [t for t in ticket.sla_policy.targets.select_related("metric") if t.severity_id == ticket.severity_id]
    timers = Timer.objects.bulk_create(
        Timer(
            ticket=ticket,
            metric=target.metric,
            target_minutes=minutes_for(ticket, target),
            started_at=ticket.reported_at,
        )
        for target in targets
    )
    timers_recompute(ticket, now=now, timers=timers)
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
            if timer.state in ACTIVE:
                timer.state, timer.due_at, timer.next_action_at = Timer.State.CANCELLED, None, None
                timer.save()
            continue
        timer.target_minutes = minutes_for(ticket, target)
        timer.save(update_fields=["target_minutes"])
    missing = [t for metric_id, t in targets.items() if metric_id not in existing]
    Timer.objects.bulk_create(
        Timer(ticket=ticket, metric=t.metric, target_minutes=minutes_for(ticket, t), started_at=ticket.reported_at)
        for t in missing
    )
    timers_recompute(ticket, now=now)


def timers_recompute(ticket: Ticket, *, now: datetime, timers: list[Timer] | None = None) -> None:
    """Deadlines from the start, the target and the pauses that apply to each metric; state from ``now``.

    A calendar the arithmetic cannot work with (an admin's broken calendar) never makes the caller fail:
    the open timers keep no deadline, carry the problem for admins, and the sweep tries them again later."""
    timers = list(ticket.timers.select_related("metric")) if timers is None else timers
    if not timers:
        return
    open_timers = [t for t in timers if t.state not in (Timer.State.MET, Timer.State.CANCELLED) and not t.met_at]
    try:
        ladder = ladder_for(ticket, timers)
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
        fields = ["due_at", "state", "breached_at", "breach_minutes", "next_action_at", "sla_error", "sla_error_at"]
        Timer.objects.bulk_update(open_timers, fields)
        return
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
    Timer.objects.bulk_update(
        open_timers, ["due_at", "state", "breached_at", "breach_minutes", "next_action_at", "sla_error", "sla_error_at"]
    )


def timers_meet(ticket: Ticket, metrics: tuple[str, ...], *, at: datetime) -> list[str]:
    """Mark these metrics' timers met at ``at`` (late ones stay "breached", with how late)."""
    met = []
    for timer in ticket.timers.select_related("metric").filter(metric__code__in=metrics, met_at__isnull=True):
        if timer.state == Timer.State.CANCELLED:
            continue
        timer.met_at = at
        late = timer.due_at is not None and at > timer.due_at
        timer.state = Timer.State.BREACHED if late else Timer.State.MET
        timer.breached_at = timer.due_at if late else None
        timer.breach_minutes = int((at - timer.due_at).total_seconds() // 60) if late else None
        timer.next_action_at = None
        timer.save()
        met.append(timer.metric.code)
    return met


def timers_cancel(ticket: Ticket, metrics: tuple[str, ...] | None = None) -> None:
    """Timers that no longer matter (a cancelled case; a loaner not needed once the case is resolved)."""
    timers = ticket.timers.filter(met_at__isnull=True).exclude(state=Timer.State.CANCELLED)
    if metrics is not None:
        timers = timers.filter(metric__code__in=metrics)
    timers.update(state=Timer.State.CANCELLED, next_action_at=None)
