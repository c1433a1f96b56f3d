"""Checking a business calendar before it is stored: the one check the API, the admin and data migrations use.

Plain values in, problems out (a stable code and a message in the user's language), so a data migration can
call it without the current models. The arithmetic's own rules (business_time.calendar_problems) decide what
is wrong; this module only words it for people.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from tickets import business_time

MIDNIGHT = time(0, 0)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def window_label(window: business_time.Window) -> str:
    """ "Monday 22:00–24:00": a window as an admin reads it (an end of 00:00 is midnight at the end of the day)."""
    weekday = WEEKDAYS.get(window.weekday - 1, str(window.weekday)) if isinstance(window.weekday, int) else "?"

    def clock(value, end=False):
        if not isinstance(value, time):
            return repr(value)
        return "24:00" if end and value == MIDNIGHT else value.strftime("%H:%M")

    return f"{weekday} {clock(window.start)}–{clock(window.end, end=True)}"


def _message(error: business_time.CalendarError) -> str:
    params = error.params
    code = error.code
    if code == business_time.UNKNOWN_TIMEZONE:
        return _("Unknown time zone %(zone)s.") % {"zone": params.get("timezone")}
    if code == business_time.BAD_WEEKDAY:
        return _("Weekday %(weekday)s is not a weekday from 1 (Monday) to 7 (Sunday).") % {
            "weekday": params.get("weekday")
        }
    if code == business_time.BAD_WINDOW_TIME:
        return _("The window %(window)s must use plain local times.") % {"window": window_label(params["window"])}
    if code == business_time.WINDOW_END_NOT_AFTER_START:
        return _(
            "The window %(window)s must end after it starts; a window may end at midnight (00:00), and a night "
            "shift is two windows (22:00–00:00 and 00:00–06:00 the next day)."
        ) % {"window": window_label(params["window"])}
    if code == business_time.OVERLAPPING_WINDOWS:
        return _("The windows %(first)s and %(second)s overlap.") % {
            "first": window_label(params["first"]),
            "second": window_label(params["second"]),
        }
    if code == business_time.HOLIDAY_IS_WORKDAY:
        return _("%(day)s is both a day off and a make-up working day.") % {"day": params.get("day")}
    if code == business_time.NO_WINDOWS:
        return _("The calendar has no working windows and is not open 7×24.")
    if code == business_time.MAKEUP_WEEKDAY_CLOSED:
        return _("Make-up working days work like weekday %(weekday)s, which has no working window.") % {
            "weekday": params.get("weekday")
        }
    if code == business_time.CALENDAR_NEVER_OPENS:
        return _("The calendar has no working time in %(days)s days from %(day)s.") % params
    return error.message


def calendar_problems(
    *,
    timezone: str,
    always_open: bool,
    windows: Iterable[tuple[int, time, time]],
    holidays: Iterable[date] = (),
    workdays: Iterable[date] = (),
    makeup_weekday: int = 1,
) -> list[Problem]:
    """Every problem of a calendar definition, in a stable order; an empty list means it can be stored."""
    calendar = business_time.Calendar(
        timezone=timezone,
        always_open=always_open,
        windows=tuple(business_time.Window(*window) for window in windows),
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        makeup_weekday=makeup_weekday,
    )
    return [Problem(error.code, _message(error)) for error in business_time.calendar_problems(calendar)]


def message(error: business_time.CalendarError) -> str:
    """A calendar error met while computing a deadline, in the user's language."""
    return _message(error)
