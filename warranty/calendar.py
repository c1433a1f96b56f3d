"""Working days for period ends (sanbao.md option 4), from the maintained Chinese holiday library, and the
zone warranty dates are taken in (``aftersales.dates.business_zone``, the product's one rule)."""

from __future__ import annotations

from datetime import date

import chinese_calendar

from aftersales.dates import business_zone

__all__ = ["business_zone", "is_working_day"]


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # A year the installed library does not know yet: fall back to Monday–Friday.
        return day.weekday() < 5
