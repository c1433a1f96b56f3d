"""Creating and changing business calendars; every calendar is checked first (tickets.calendar_check)."""

from __future__ import annotations

from datetime import date, time

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError
from tickets.calendar_check import calendar_problems
from tickets.models import BusinessCalendar, CalendarDate, CalendarWindow

CALENDAR_INVALID = "calendar_invalid"
CALENDAR_EXISTS = "calendar_exists"


def check_calendar(
    *,
    timezone: str,
    always_open: bool,
    windows: list[tuple[int, time, time]],
    holidays: list[date],
    workdays: list[date],
    makeup_weekday: int = 1,
) -> None:
    """Refuse a calendar the business-time arithmetic cannot work with, listing every problem."""
    problems = calendar_problems(
        timezone=timezone,
        always_open=always_open,
        windows=windows,
        holidays=holidays,
        workdays=workdays,
        makeup_weekday=makeup_weekday,
    )
    if problems:
        raise ApplicationError(
            problems[0].code,
            _("The calendar is not valid."),
            details={"calendar": [problem.message for problem in problems]},
        )


@transaction.atomic
def calendar_save(
    *,
    calendar: BusinessCalendar | None = None,
    name: str,
    timezone: str,
    always_open: bool,
    windows: list[tuple[int, time, time]],
    statutory_holidays: str | None,
    holidays: list[date],
    workdays: list[date],
    makeup_weekday: int = 1,
) -> BusinessCalendar:
    """Create a calendar, or replace an existing one's definition (windows and dates included)."""
    check_calendar(
        timezone=timezone,
        always_open=always_open,
        windows=windows,
        holidays=holidays,
        workdays=workdays,
        makeup_weekday=makeup_weekday,
    )
    duplicate = BusinessCalendar.objects.filter(name=name)
    if calendar is not None:
        duplicate = duplicate.exclude(pk=calendar.pk)
    if duplicate.exists():
        raise ApplicationError(
            CALENDAR_EXISTS, _("A calendar with this name exists."), details={"name": [_("Already used.")]}, status=409
        )
    calendar = calendar or BusinessCalendar()
    calendar.name, calendar.timezone, calendar.always_open = name, timezone, always_open
    calendar.statutory_holidays = statutory_holidays or ""
    calendar.makeup_weekday = makeup_weekday
    calendar.save()
    calendar.windows.all().delete()
    calendar.dates.all().delete()
    CalendarWindow.objects.bulk_create(
        CalendarWindow(calendar=calendar, weekday=weekday, start=start, end=end) for weekday, start, end in windows
    )
    CalendarDate.objects.bulk_create(
        [CalendarDate(calendar=calendar, date=day, kind=CalendarDate.Kind.HOLIDAY) for day in holidays]
        + [CalendarDate(calendar=calendar, date=day, kind=CalendarDate.Kind.WORKDAY) for day in workdays]
    )
    return calendar
