"""Escalation ladders on the SLA clock: when each step of a policy's ladder comes due for a timer, and the next
one not fired yet. Timers plan their next action with it; the sweep fires the steps that came due."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection

from aftersales.dates import business_zone
from aftersales.db import int_array
from tickets import business_time, sla
from tickets.models import BusinessCalendar, Escalation, EscalationStep, SLAPolicy, Ticket, TicketPause, Timer
from tickets.services.clock import Clock, clock_for


def step_applies(step: EscalationStep, timer: Timer) -> bool:
    return step.metric_id is None or step.metric_id == timer.metric_id


def step_minutes(step: EscalationStep, timer: Timer) -> int:
    """The business minutes after the timer's start at which the step comes due."""
    if step.share_percent is not None:
        return math.ceil(timer.target_minutes * step.share_percent / 100)
    return step.delay_minutes


def step_due(step: EscalationStep, timer: Timer, clock: Clock) -> datetime | None:
    """When the step comes due: a share of the target (or a fixed delay) of business time after the start,
    with paused time not counted. None while a pause holds it back."""
    return _due(clock, timer.started_at, step_minutes(step, timer), timer.metric.code)


def _due(clock: Clock, start: datetime, minutes: int, metric_code: str) -> datetime | None:
    # On a 7×24 calendar with nothing paused every minute counts: the business-time walk (day by day through
    # the calendar) would come to the same instant, and a sweep works this out for every due timer.
    if clock.calendar.always_open and not clock.pauses(metric_code):
        return start.astimezone(UTC) + timedelta(minutes=minutes)
    return clock.due_at(start, minutes, metric_code)


class SweepCalendars:
    """Engine calendars for a sweep: each stored calendar's windows and dates read once, its engine view
    (statutory days around a case's report date) built once per day. Cases reported on a thousand different
    days cost two queries per calendar, not two per day; ``forget_days`` lets a long sweep drop the per-day
    views between batches, so its memory does not grow with the backlog."""

    def __init__(self):
        self._rows: dict[int, tuple[list, list]] = {}
        self._calendars: dict[tuple[int, date], business_time.Calendar] = {}

    def get(self, calendar: BusinessCalendar, around: date) -> business_time.Calendar:
        # Ids rather than ``pk`` here and in the ladder's walk: a sweep asks thousands of times per batch.
        key = (calendar.id, around)
        found = self._calendars.get(key)  # held here: another sweep of the process may forget the days
        if found is None:
            if calendar.id not in self._rows:
                self._rows[calendar.id] = (list(calendar.windows.all()), list(calendar.dates.all()))
            windows, dates = self._rows[calendar.id]
            found = self._calendars[key] = sla.engine_calendar(calendar, around=around, windows=windows, dates=dates)
        return found

    def forget_days(self) -> None:
        self._calendars.clear()


class PolicyCache:
    """Ladder steps and engine calendars, loaded once per policy (and calendar and day) in a sweep."""

    def __init__(self):
        self._steps: dict[int, list[EscalationStep]] = {}
        self._orders: dict[int, tuple[dict[int, int], dict]] = {}
        self._zones: dict[int, ZoneInfo] = {}
        self.calendars = SweepCalendars()

    def steps(self, policy: SLAPolicy) -> list[EscalationStep]:
        if policy.id not in self._steps:
            self._steps[policy.id] = list(policy.escalation_steps.all())
        return self._steps[policy.id]

    def clock(self, ticket: Ticket, ledger: list[TicketPause]) -> Clock:
        """``clock_for`` with the calendar's zone looked up once per sweep (the sweep builds one per case)."""
        policy = ticket.sla_policy
        calendar = policy.calendar
        if calendar.id not in self._zones:
            self._zones[calendar.id] = business_zone(calendar.timezone)
        day = ticket.reported_at.astimezone(self._zones[calendar.id]).date()  # as business_date takes it
        return Clock(
            calendar=self.calendars.get(calendar, day), ledger=ledger, pause_statuses=policy.pause_statuses or {}
        )

    def ladder(self, policy: SLAPolicy, clock: Clock, fired: dict[int, set[int]]) -> Ladder:
        """A case's ladder whose steps' order and per-target sorting are shared by every case of the policy."""
        steps = self.steps(policy)
        if policy.id not in self._orders:
            self._orders[policy.id] = ({step.id: index for index, step in enumerate(steps)}, {})
        order, by_minutes = self._orders[policy.id]
        return Ladder(steps=steps, clock=clock, fired=fired, order=order, by_minutes=by_minutes)


@dataclass
class Ladder:
    """A case's ladder: its policy's steps on its clock, and the steps already fired per timer."""

    steps: list[EscalationStep]
    clock: Clock
    fired: dict[int, set[int]] = field(default_factory=dict)
    order: dict[int, int] | None = None  # step id -> place in the ladder (worked out here when not given)
    by_minutes: dict[tuple[int, int], list] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if self.order is None:
            self.order = {step.pk: index for index, step in enumerate(self.steps)}

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

    def plan(self, timer: Timer, *, now: datetime) -> tuple[list[tuple[EscalationStep, datetime]], datetime | None]:
        """``due_steps`` and, once those are fired, ``next_action`` after ``now``, in one walk: more minutes
        never come due earlier, so the timer's steps are taken in the order of their minutes, each worked out
        once, and the walk stops at the first one still ahead (or held back by a pause, as every later one
        is). The due steps come back in the ladder's order, as ``due_steps`` gives them."""
        fired = self.fired.get(timer.pk, ())
        order = self.order
        # The steps of a metric and target in the order of their minutes: the same for every timer of a
        # policy's severity and metric, so a ladder shared by a sweep's cases (``PolicyCache``) sorts them once.
        key = (timer.metric_id, timer.target_minutes)
        if key not in self.by_minutes:
            self.by_minutes[key] = sorted(
                (step_minutes(step, timer), order[step.id], step) for step in self.steps if step_applies(step, timer)
            )
        due: list[tuple[EscalationStep, datetime]] = []
        upcoming = None
        for minutes, _index, step in self.by_minutes[key]:
            if step.id in fired:
                continue
            when = _due(self.clock, timer.started_at, minutes, timer.metric.code)
            if when is None:
                break
            if when > now:
                upcoming = when
                break
            due.append((step, when))
        due.sort(key=lambda item: order[item[0].id])
        return due, upcoming

    def next_action(self, timer: Timer, *, after: datetime | None = None) -> datetime | None:
        times = []
        for step in self.steps:
            if step.pk in self.fired.get(timer.pk, set()) or not step_applies(step, timer):
                continue
            due = step_due(step, timer, self.clock)
            if due is not None and (after is None or due > after):
                times.append(due)
        return min(times, default=None)


FIRED_SQL = f"SELECT timer_id, step_id FROM {Escalation._meta.db_table} WHERE timer_id = ANY(%s::bigint[])"


def fired_steps(timers: list[Timer] | list[int]) -> dict[int, set[int]]:
    """The steps already fired per timer (timers or their ids), in one query however many."""
    ids = [getattr(timer, "pk", timer) for timer in timers]
    fired: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return fired
    with connection.cursor() as cursor:
        cursor.execute(FIRED_SQL, [int_array(ids)])
        for timer_id, step_id in cursor.fetchall():
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
