"""Working days for period ends (sanbao.md option 4), from the maintained Chinese holiday library, and the
zone warranty dates are taken in."""

from __future__ import annotations

import zoneinfo
from datetime import date, tzinfo

import chinese_calendar
from django.conf import settings


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # A year the installed library does not know yet: fall back to Monday–Friday.
        return day.weekday() < 5


def business_zone() -> tzinfo:
    """The zone a policy's dates are taken in (the hand-in day, the day a repair began): the product's
    ``TIME_ZONE``, since policies carry no zone of their own; never the viewer's activated zone."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)
