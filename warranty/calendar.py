"""Working days for period ends (sanbao.md option 4), from the maintained Chinese holiday library."""

from __future__ import annotations

from datetime import date

import chinese_calendar


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # A year the installed library does not know yet: fall back to Monday–Friday.
        return day.weekday() < 5
