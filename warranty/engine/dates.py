"""Day counting of sanbao.md (Civil Code Arts 201–203) and repair-time arithmetic.

- The start day is not counted, so "within N days of S" is ``day <= S + N`` and an N-month period ends on
  the same calendar date N months later (clamped to the month end: 29 Feb + 12 months = 28 Feb).
- Repair time runs from when the repair was agreed to completion; every full 24 h is a day and any
  remainder counts as a day (25 h = 2 days).
- A period counted in days from a moment ("自送修之日起超过 90 日") starts on the day after that moment's
  date and its last day runs to 24:00 (Arts 201, 203): hours do not matter, only dates in the business zone.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_CEILING, Decimal

from django.utils.translation import gettext as _

from .types import EngineError, Repair

SUBTRACT_THEN_ROUND = "subtract_then_round"
ROUND_THEN_SUBTRACT = "round_then_subtract"
NET_REPAIR_METHODS = (SUBTRACT_THEN_ROUND, ROUND_THEN_SUBTRACT)

_SECONDS_PER_DAY = Decimal(86400)
_SECONDS_PER_HOUR = Decimal(3600)


def add_months(start: date, months: int) -> date:
    """The same calendar date ``months`` later, clamped to the end of a shorter month."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def window_end(start: date, days: int) -> date:
    """Last day of "within ``days`` days of ``start``": the start day itself is not counted."""
    return start + timedelta(days=days)


def extend_to_working_day(end: date, is_working_day: Callable[[date], bool]) -> date:
    """Civil Code Art 203: a period whose last day is a statutory holiday ends on the next working day."""
    # A year without a working day means a broken calendar; stop rather than loop forever.
    for _step in range(366):
        if is_working_day(end):
            return end
        end += timedelta(days=1)
    raise EngineError("broken_calendar", _("The holiday calendar has no working day within a year."))


def local_date(moment: datetime, zone: tzinfo | None) -> date:
    """The date of ``moment`` in the business zone; a naive moment, or no zone, keeps its own date."""
    if zone is None or moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(zone).date()


def end_of_day(day: date, like: datetime, zone: tzinfo | None = None) -> datetime:
    """Midnight after ``day`` in the business zone, naive when ``like`` is naive so the two never mix."""
    if like.tzinfo is None:
        return datetime.combine(day + timedelta(days=1), time.min)
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone or like.tzinfo)


def days_since(first: date, last: date) -> int:
    """Days of a period counted from ``first`` up to and including ``last``; ``first`` itself is not counted
    (Art 201), so "more than N days" holds from the day ``first + N + 1`` (Art 203: day N runs to 24:00)."""
    return (last - first).days


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta.days) * _SECONDS_PER_DAY + Decimal(delta.seconds) + Decimal(delta.microseconds) / 10**6


def _ceil_days(seconds: Decimal) -> int:
    if seconds <= 0:
        return 0
    return int((seconds / _SECONDS_PER_DAY).to_integral_value(rounding=ROUND_CEILING))


def check_repair(repair: Repair) -> None:
    """Refuse a repair that cannot have happened."""
    if repair.completed_at is not None and repair.completed_at < repair.confirmed_at:
        raise EngineError(
            "completed_before_confirmed",
            _("A repair cannot end before it was agreed (%(confirmed)s).") % {"confirmed": repair.confirmed_at},
            field="completed_at",
        )
    if repair.excluded_hours < 0 or repair.parts_wait_hours < 0:
        raise EngineError("negative_hours", _("Excluded and waiting hours cannot be negative."), field="excluded_hours")


def repair_days(repair: Repair, *, until: datetime | None = None, method: str = SUBTRACT_THEN_ROUND) -> int:
    """Days one repair counts for: ceil((hours − excluded hours) / 24) by default.

    ``until`` ends a repair that is still open (``completed_at`` None). ``method`` is interpretation option 3:
    ``round_then_subtract`` rounds the gross time and the excluded time up to days each, then subtracts.
    """
    if method not in NET_REPAIR_METHODS:
        raise EngineError("unknown_option", _("Unknown net repair time method: %(value)s") % {"value": method})
    check_repair(repair)
    end = repair.completed_at if repair.completed_at is not None else until
    if end is None:
        raise EngineError(
            "open_repair_needs_until", _("An open repair needs the moment it is assessed."), field="until"
        )
    if end < repair.confirmed_at:
        raise EngineError(
            "assessed_before_confirmed",
            _("An open repair cannot be assessed before it was agreed (%(confirmed)s).")
            % {"confirmed": repair.confirmed_at},
            field="until",
        )
    gross = _seconds(end - repair.confirmed_at)
    excluded = Decimal(repair.excluded_hours) * _SECONDS_PER_HOUR
    if method == SUBTRACT_THEN_ROUND:
        return _ceil_days(gross - excluded)
    return max(_ceil_days(gross) - _ceil_days(excluded), 0)


def wait_days(hours: Decimal) -> int:
    """Days of waiting for parts, rounded like repair time (any remainder is a day)."""
    return _ceil_days(Decimal(hours) * _SECONDS_PER_HOUR)
