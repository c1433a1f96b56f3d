"""The `chinesecalendar` library alone, under the names data migration 0014 and its tests use.

Calendars read China's statutory dates through ``warranty.holidays.statutory_dates`` (admins' schedules and
the library together); these names answer from the installed library only.
"""

from warranty.holidays import SATURDAY, library_dates, library_uncovered_years, library_years

china_calendar_dates = library_dates
covered_years = library_years
uncovered_years = library_uncovered_years

__all__ = ["SATURDAY", "china_calendar_dates", "covered_years", "uncovered_years"]
