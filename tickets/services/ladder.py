"""Escalation ladders on the SLA clock: when each step of a policy's ladder comes due for a timer, and the next
one not fired yet. Timers plan their next action with it; the sweep fires the steps that came due."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from tickets.models import Escalation, EscalationStep, SLAPolicy, Ticket, TicketPause, Timer
from tickets.services.clock import CalendarCache, Clock, clock_for


def step_applies(step: EscalationStep, timer: Timer) -> bool:
    return step.metric_id is None or step.metric_id == timer.metric_id


def step_due(step: EscalationStep, timer: Timer, clock: Clock) -> datetime | None:
    """When the step comes due: a share of the target (or a fixed delay) of business time after the start,
    with paused time not counted. None while a pause holds it back."""
    if step.share_percent is not None:
        minutes = math.ceil(timer.target_minutes * step.share_percent / 100)
    else:
        minutes = step.delay_minutes
    return clock.due_at(timer.started_at, minutes, timer.metric.code)


class PolicyCache:
    """Ladder steps and engine calendars, loaded once per policy (and calendar and day) in a sweep."""

    def __init__(self):
        self._steps: dict[int, list[EscalationStep]] = {}
        self.calendars = CalendarCache()

    def steps(self, policy: SLAPolicy) -> list[EscalationStep]:
        if policy.pk not in self._steps:
            self._steps[policy.pk] = list(policy.escalation_steps.all())
        return self._steps[policy.pk]


@dataclass
class Ladder:
    """A case's ladder: its policy's steps on its clock, and the steps already fired per timer."""

    steps: list[EscalationStep]
    clock: Clock
    fired: dict[int, set[int]] = field(default_factory=dict)

    def due_steps(self, timer: Timer, *, now: datetime) -> list[tuple[EscalationStep, datetime]]:
        """(step, when it came due) of every step of this timer due by ``now`` and not fired yet."""
        due = []
        for step in self.steps:
            if not step_applies(step, timer) or step.pk in self.fired.get(timer.pk, set()):
                continue
            when = step_due(step, timer, self.clock)
            if when is not None and when <= now:
                due.append((step, when))
        return due

    def next_action(self, timer: Timer, *, after: datetime | None = None) -> datetime | None:
        times = []
        for step in self.steps:
            if step.pk in self.fired.get(timer.pk, set()) or not step_applies(step, timer):
                continue
            due = step_due(step, timer, self.clock)
            if due is not None and (after is None or due > after):
                times.append(due)
        return min(times, default=None)


def fired_steps(timers: list[Timer]) -> dict[int, set[int]]:
    fired: dict[int, set[int]] = defaultdict(set)
    for timer_id, step_id in Escalation.objects.filter(timer__in=timers).values_list("timer_id", "step_id"):
        fired[timer_id].add(step_id)
    return fired


def ladder_for(
    ticket: Ticket,
    timers: list[Timer],
    *,
    cache: PolicyCache | None = None,
    ledger: list[TicketPause] | None = None,
    fired: dict[int, set[int]] | None = None,
) -> Ladder:
    cache = cache or PolicyCache()
    return Ladder(
        steps=cache.steps(ticket.sla_policy),
        clock=clock_for(ticket, cache=cache.calendars, ledger=ledger),
        fired=dict(fired_steps(timers) if fired is None else fired),
    )
