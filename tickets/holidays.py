"""Adapter to `chinesecalendar` (import name `chinese_calendar`), the maintained list of China's statutory
holidays and 调休 make-up working days, used to seed business calendars.

The library knows only the years the State Council has published (it is updated each November or December for
the following year). Dates in years it does not know are simply not returned, never guessed: callers ask
`covered_years()` or `uncovered_years(start, end)` to find the years an admin must still fill in by hand.
"""

from datetime import date

import chinese_calendar

SATURDAY = 6  # ISO weekday


def covered_years() -> range:
    """The years the installed library has data for, e.g. range(2004, 2027)."""
    # The library's own range check uses the span of its holiday table; mirror it rather than its private helper.
    years = [day.year for day in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def uncovered_years(start: date, end: date) -> tuple[int, ...]:
    """The years in [start, end] for which `china_calendar_dates` returns nothing because the library lacks them."""
    covered = covered_years()
    return tuple(year for year in range(start.year, end.year + 1) if year not in covered)


def china_calendar_dates(start: date, end: date) -> tuple[frozenset[date], frozenset[date]]:
    """(days off for statutory holidays, make-up working days on a Saturday or Sunday) within [start, end].

    Days off include the weekend days that fall inside a holiday period (they are off either way) and the
    weekdays given off in lieu. Years outside `covered_years()` contribute nothing; an empty or reversed range
    gives two empty sets."""
    covered = covered_years()

    def wanted(day: date) -> bool:
        return start <= day <= end and day.year in covered

    days_off = frozenset(day for day in chinese_calendar.holidays if wanted(day))
    # 调休 makes a weekend day a working day; a weekday in the table would already be one, so it is left out.
    makeup_days = frozenset(day for day in chinese_calendar.workdays if wanted(day) and day.isoweekday() >= SATURDAY)
    return days_off, makeup_days
