"""Writing a year's State Council holiday schedule: checked first, every problem named with its date.

Callers go through ``tickets.services.holidays.holiday_schedule_save``, which also moves the running SLA
deadlines the change affects; this module is the warranty half (rules and the row).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError
from warranty.holidays import SATURDAY, statutory_dates
from warranty.models import HolidaySchedule

HOLIDAY_SCHEDULE_INVALID = "holiday_schedule_invalid"
FIRST_YEAR, LAST_YEAR = 2000, 2100
# pg_advisory_xact_lock(namespace, year): two admins saving the same year one after the other, never a
# unique-constraint error for the second.
LOCK_NAMESPACE = 7_302


def weekday_name(day: date) -> str:
    return formats.date_format(day, "l")


def year_span(year: int) -> tuple[date, date]:
    """The dates a year's notice may list: the year itself and the December before (New Year's Day holiday)."""
    return date(year - 1, 12, 1), date(year, 12, 31)


def holiday_schedule_problems(*, year: int | None, days_off: Iterable[date], makeup_days: Iterable[date]) -> dict:
    """Every problem of a schedule, by field ("year", "days_off", "makeup_days"); empty when it is valid.

    A make-up working day (调休) moves work onto a weekend, so it must be a Saturday or Sunday; a day cannot
    be both off and a make-up day; every date belongs to the year (or the December before it)."""
    problems: dict[str, list[str]] = {}
    days_off, makeup_days = sorted(set(days_off)), sorted(set(makeup_days))
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        problems["year"] = [_("Enter a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}]
        return problems
    first, last = year_span(year)
    for field, days in (("days_off", days_off), ("makeup_days", makeup_days)):
        for day in days:
            if not first <= day <= last:
                problems.setdefault(field, []).append(
                    _("%(day)s is not in %(year)s (a %(year)s schedule may also list days of December %(before)s).")
                    % {"day": day.isoformat(), "year": year, "before": year - 1}
                )
    if not days_off:
        problems.setdefault("days_off", []).append(_("List at least one day off."))
    for day in makeup_days:
        if day.isoweekday() < SATURDAY:
            problems.setdefault("makeup_days", []).append(
                _("%(day)s is a %(weekday)s: a make-up working day must be a Saturday or a Sunday.")
                % {"day": day.isoformat(), "weekday": weekday_name(day)}
            )
    for day in sorted(set(days_off) & set(makeup_days)):
        problems.setdefault("makeup_days", []).append(
            _("%(day)s is listed both as a day off and as a make-up working day.") % {"day": day.isoformat()}
        )
    return problems


def holiday_schedule_check(*, year, days_off, makeup_days) -> None:
    problems = holiday_schedule_problems(year=year, days_off=days_off, makeup_days=makeup_days)
    if problems:
        raise ApplicationError(HOLIDAY_SCHEDULE_INVALID, _("The holiday schedule is not valid."), details=problems)


def _effective(year: int) -> tuple[frozenset[date], frozenset[date]]:
    first, last = year_span(year)
    return statutory_dates(first, last)


@transaction.atomic
def holiday_schedule_write(
    *,
    year: int,
    days_off: Iterable[date],
    makeup_days: Iterable[date],
    source: str = "",
    actor=None,
    now: datetime | None = None,
) -> tuple[HolidaySchedule, frozenset[date]]:
    """Create or replace the schedule of ``year`` (row locked; all or nothing). Returns the schedule and the
    dates whose status changed (off or make-up day, before against after), which the caller's deadlines
    may depend on."""
    days_off, makeup_days = sorted(set(days_off)), sorted(set(makeup_days))
    holiday_schedule_check(year=year, days_off=days_off, makeup_days=makeup_days)
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, year])
    before_off, before_on = _effective(year)
    schedule = HolidaySchedule.objects.filter(year=year).first()
    if schedule is None:
        schedule = HolidaySchedule(year=year, created_at=now)
    schedule.days_off, schedule.makeup_days = days_off, makeup_days
    schedule.source = source or ""
    schedule.updated_at, schedule.updated_by = now, actor
    schedule.save()
    after_off, after_on = _effective(year)
    return schedule, frozenset((before_off ^ after_off) | (before_on ^ after_on))
