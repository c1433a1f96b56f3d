"""The SLA clock: a policy's business calendar and a case's pause ledger.

Timers (deadlines, business minutes used) and escalation (when each ladder step comes due) both read time
through this module, so both count the same minutes: working windows, statutory holidays and make-up days of
the policy's calendar, with the statuses the policy says pause a metric left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from aftersales.dates import business_date
from tickets import business_time, sla
from tickets.models import BusinessCalendar, SLAPolicy, Ticket, TicketPause

Pauses = list[tuple[datetime, datetime | None]]


class CalendarCache:
    """Engine calendars, loaded once per stored calendar and day (a sweep touches a handful of calendars)."""

    def __init__(self):
        self._calendars: dict[tuple[int, date], business_time.Calendar] = {}

    def get(self, calendar: BusinessCalendar, around: date) -> business_time.Calendar:
        key = (calendar.pk, around)
        if key not in self._calendars:
            self._calendars[key] = sla.engine_calendar(calendar, around=around)
        return self._calendars[key]


def policy_calendar(
    policy: SLAPolicy, *, around: datetime, cache: CalendarCache | None = None
) -> business_time.Calendar:
    """The engine view of the policy's calendar, with statutory dates loaded around ``around``."""
    calendar = policy.calendar
    return (cache or CalendarCache()).get(calendar, business_date(around, zone=calendar.timezone))


@dataclass
class Clock:
    """One case's clock: its policy's calendar, its pause ledger, and which statuses pause which metric."""

    calendar: business_time.Calendar
    ledger: list[TicketPause]
    pause_statuses: dict[str, list[str]] = field(default_factory=dict)

    def pauses(self, metric_code: str) -> Pauses:
        if not self.ledger:
            return []  # most cases were never paused (the sweep asks for each step of each due timer)
        pausing = set(self.pause_statuses.get(metric_code, []))
        return [(p.started_at, p.ended_at) for p in self.ledger if p.status in pausing]

    def due_at(self, start: datetime, minutes: int, metric_code: str) -> datetime | None:
        """When ``minutes`` of unpaused business time after ``start`` are used up; None while paused."""
        return business_time.due_at(self.calendar, start, minutes, self.pauses(metric_code))


def ledger_of(ticket: Ticket) -> list[TicketPause]:
    return list(TicketPause.objects.filter(ticket=ticket).order_by("started_at"))


def clock_for(ticket: Ticket, *, cache: CalendarCache | None = None, ledger: list[TicketPause] | None = None) -> Clock:
    policy = ticket.sla_policy
    return Clock(
        calendar=policy_calendar(policy, around=ticket.reported_at, cache=cache),
        ledger=ledger_of(ticket) if ledger is None else ledger,
        pause_statuses=policy.pause_statuses or {},
    )


def add_working_days(calendar: business_time.Calendar, start: datetime, days: int) -> datetime:
    """The same wall-clock time ``days`` working days later on the calendar (the start day not counted)."""
    zone = business_time.ZoneInfo(calendar.timezone)
    local = start.astimezone(zone)
    day = local.date()
    for _step in range(days):
        day = business_time.next_working_day(calendar, day + timedelta(days=1))
    return datetime.combine(day, local.time(), tzinfo=zone)
