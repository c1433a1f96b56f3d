"""China's statutory days off and 调休 make-up working days: the one place every calendar reads them from.

Two sources, read together by ``statutory_dates``:

- the `chinesecalendar` library (import name `chinese_calendar`), the maintained list of the years the State
  Council has published; it is updated each November or December for the following year;
- the schedules admins enter (``HolidaySchedule``), for a year the installed release does not know yet.

An admin's schedule wins for its year: the library's dates of that year are left out, so a newer library
release that learns the same year never adds a second, different set of dates. The library fills every year
it knows that no admin entered. A year neither knows is *uncovered*: its statutory days are not known, and
callers ask ``uncovered_years`` (never a guess) to warn about it.

The ``library_*`` functions read the library alone (pure; historical data migrations use them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import chinese_calendar

from warranty.models import HolidaySchedule

SATURDAY = 6  # ISO weekday


# -- the library alone ---------------------------------------------------------------------------------


def library_years() -> range:
    """The years the installed library has data for, e.g. range(2004, 2027)."""
    # The library's own range check uses the span of its holiday table; mirror it rather than its private helper.
    years = [day.year for day in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def library_uncovered_years(start: date, end: date) -> tuple[int, ...]:
    """The years in [start, end] the installed library has no data for."""
    covered = library_years()
    return tuple(year for year in range(start.year, end.year + 1) if year not in covered)


def library_dates(start: date, end: date) -> tuple[frozenset[date], frozenset[date]]:
    """(days off for statutory holidays, make-up working days on a Saturday or Sunday) within [start, end],
    from the library alone.

    Days off include the weekend days that fall inside a holiday period (they are off either way) and the
    weekdays given off in lieu. Years outside `library_years()` contribute nothing; an empty or reversed range
    gives two empty sets."""
    covered = library_years()

    def wanted(day: date) -> bool:
        return start <= day <= end and day.year in covered

    days_off = frozenset(day for day in chinese_calendar.holidays if wanted(day))
    # 调休 makes a weekend day a working day; a weekday in the table would already be one, so it is left out.
    makeup_days = frozenset(day for day in chinese_calendar.workdays if wanted(day) and day.isoweekday() >= SATURDAY)
    return days_off, makeup_days


# -- admins' schedules and the library together --------------------------------------------------------


@dataclass(frozen=True)
class YearSchedule:
    """One year's statutory dates as an admin entered them."""

    year: int
    days_off: frozenset[date]
    makeup_days: frozenset[date]


def schedules_for(first_year: int, last_year: int) -> dict[int, YearSchedule]:
    """The admins' schedules of the years in [first_year, last_year] (one small query)."""
    rows = HolidaySchedule.objects.filter(year__gte=first_year, year__lte=last_year).values_list(
        "year", "days_off", "makeup_days"
    )
    return {year: YearSchedule(year, frozenset(off), frozenset(on)) for year, off, on in rows}


def _schedules_around(start: date, end: date) -> dict[int, YearSchedule]:
    # A year's notice may begin its New Year's Day holiday in the December before: read the next year too.
    return schedules_for(start.year, end.year + 1)


def statutory_dates(
    start: date, end: date, *, schedules: dict[int, YearSchedule] | None = None
) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, make-up working days) within [start, end]: admins' schedules where entered, else the library.

    ``schedules`` (from ``schedules_for``) saves the query when the caller already read them."""
    if start > end:
        return frozenset(), frozenset()
    schedules = _schedules_around(start, end) if schedules is None else schedules
    library_off, library_on = library_dates(start, end)
    entered = {day for schedule in schedules.values() for day in schedule.days_off | schedule.makeup_days}

    def library_keeps(day: date) -> bool:
        # The library's dates of a year an admin entered are left out, and so is any day an admin listed.
        return day.year not in schedules and day not in entered

    days_off = {day for day in library_off if library_keeps(day)}
    makeup_days = {day for day in library_on if library_keeps(day)}
    for schedule in schedules.values():
        days_off |= {day for day in schedule.days_off if start <= day <= end}
        makeup_days |= {day for day in schedule.makeup_days if start <= day <= end}
    return frozenset(days_off), frozenset(makeup_days)


def covered_years(years: Iterable[int], *, schedules: dict[int, YearSchedule] | None = None) -> frozenset[int]:
    """Which of ``years`` have statutory data: entered by an admin, or known to the installed library."""
    years = sorted(set(years))
    if not years:
        return frozenset()
    schedules = schedules_for(years[0], years[-1]) if schedules is None else schedules
    known = library_years()
    return frozenset(year for year in years if year in schedules or year in known)


def uncovered_years(start: date, end: date, *, schedules: dict[int, YearSchedule] | None = None) -> tuple[int, ...]:
    """The years in [start, end] whose statutory days nobody knows (neither an admin nor the library)."""
    years = range(start.year, end.year + 1)
    covered = covered_years(years, schedules=schedules)
    return tuple(year for year in years if year not in covered)


def is_statutory_working_day(day: date) -> bool:
    """China's working days: Monday to Friday except days off, plus make-up weekends. In a year nobody knows
    yet this falls back to Monday–Friday (the caller warns through ``uncovered_years``)."""
    days_off, makeup_days = statutory_dates(day, day)
    if day in days_off:
        return False
    return day in makeup_days or day.isoweekday() < SATURDAY
