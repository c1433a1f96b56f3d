"""The chinesecalendar adapter. Literal dates are from the State Council notices, so a wrong adapter fails."""

from datetime import date, time, timedelta

import chinese_calendar
import pytest

from tickets.business_time import Calendar, Window, is_working_day
from tickets.holidays import china_calendar_dates, covered_years, uncovered_years


def _days(first: date, count: int) -> set[date]:
    return {first + timedelta(days=n) for n in range(count)}


@pytest.mark.parametrize(
    ("start", "end", "days_off", "makeup_days"),
    [
        # Spring Festival 2025: 01-28 (Tue) .. 02-04 (Tue) off; make-up Sunday 01-26 and Saturday 02-08.
        (date(2025, 1, 20), date(2025, 2, 15), _days(date(2025, 1, 28), 8), {date(2025, 1, 26), date(2025, 2, 8)}),
        # National Day 2025: 10-01 (Wed) .. 10-08 (Wed) off; make-up Sunday 09-28 and Saturday 10-11.
        (date(2025, 9, 20), date(2025, 10, 20), _days(date(2025, 10, 1), 8), {date(2025, 9, 28), date(2025, 10, 11)}),
        # January 2025 only: New Year's Day, the first four festival days, make-up Sunday 01-26.
        (
            date(2025, 1, 1),
            date(2025, 1, 31),
            {date(2025, 1, 1)} | _days(date(2025, 1, 28), 4),
            {date(2025, 1, 26)},
        ),
        # Bounds are inclusive.
        (date(2025, 1, 28), date(2025, 1, 28), {date(2025, 1, 28)}, set()),
        (date(2025, 2, 8), date(2025, 2, 8), set(), {date(2025, 2, 8)}),
        # An ordinary stretch has neither.
        (date(2025, 3, 1), date(2025, 3, 31), set(), set()),
    ],
)
def test_china_calendar_dates_range_matches_published_schedule(start, end, days_off, makeup_days):
    assert china_calendar_dates(start, end) == (frozenset(days_off), frozenset(makeup_days))


def test_china_calendar_dates_return_frozensets_of_dates():
    days_off, makeup_days = china_calendar_dates(date(2025, 1, 1), date(2025, 12, 31))
    assert isinstance(days_off, frozenset)
    assert isinstance(makeup_days, frozenset)
    assert len(days_off) == 28  # 2025: 1 + 8 + 3 + 5 + 3 + 8
    assert len(makeup_days) == 5  # 01-26, 02-08, 04-27, 09-28, 10-11


def test_china_calendar_dates_makeup_days_are_weekends_and_never_days_off():
    years = covered_years()
    days_off, makeup_days = china_calendar_dates(date(years.start, 1, 1), date(years.stop - 1, 12, 31))
    assert makeup_days
    assert all(day.isoweekday() in (6, 7) for day in makeup_days)
    assert not days_off & makeup_days


def test_china_calendar_dates_agree_with_library_day_by_day():
    # A Mon-Fri calendar seeded through the adapter works exactly the days the library calls workdays.
    years = covered_years()
    first, last = date(years.start, 1, 1), date(years.stop - 1, 12, 31)
    days_off, makeup_days = china_calendar_dates(first, last)
    calendar = Calendar(
        windows=tuple(Window(day, time(9), time(17)) for day in range(1, 6)), holidays=days_off, workdays=makeup_days
    )
    day = first
    while day <= last:
        assert is_working_day(calendar, day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_covered_years_is_the_span_the_library_knows():
    years = covered_years()
    assert years.step == 1
    assert years.start == 2004
    assert 2025 in years
    assert 2026 in years  # the installed release already carries the 2026 notice
    chinese_calendar.is_workday(date(years.stop - 1, 12, 31))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(years.stop, 1, 1))


def test_china_calendar_dates_year_outside_coverage_returns_nothing():
    beyond = covered_years().stop
    assert china_calendar_dates(date(beyond, 1, 1), date(beyond, 12, 31)) == (frozenset(), frozenset())
    assert china_calendar_dates(date(2003, 1, 1), date(2003, 12, 31)) == (frozenset(), frozenset())
    assert uncovered_years(date(beyond, 1, 1), date(beyond, 12, 31)) == (beyond,)


def test_china_calendar_dates_range_straddling_coverage_returns_only_known_years():
    last_known = covered_years().stop - 1
    start, end = date(last_known, 12, 1), date(last_known + 1, 1, 31)
    days_off, makeup_days = china_calendar_dates(start, end)
    assert all(day.year == last_known for day in days_off | makeup_days)
    assert uncovered_years(start, end) == (last_known + 1,)
    assert uncovered_years(date(2025, 1, 1), date(2025, 12, 31)) == ()


def test_china_calendar_dates_reversed_range_is_empty():
    assert china_calendar_dates(date(2025, 12, 31), date(2025, 1, 1)) == (frozenset(), frozenset())
