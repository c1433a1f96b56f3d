"""Business-time arithmetic. Expected values are counted by hand; the comments show the count.

The default calendar below works Mon-Fri 08:30-12:00 and 13:30-17:00 (420 minutes a day) in Asia/Shanghai, with
2025-2026 holidays and make-up days taken from `chinese_calendar` through `tickets.holidays`.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets import business_time as bt
from tickets.business_time import (
    Calendar,
    CalendarError,
    Window,
    add_business_minutes,
    business_minutes_between,
    calendar_problems,
    due_at,
    elapsed_business_minutes,
    is_working_day,
    next_working_day,
    validate_calendar,
)
from tickets.holidays import china_calendar_dates

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

MORNING = (time(8, 30), time(12, 0))
AFTERNOON = (time(13, 30), time(17, 0))
LUNCH_BREAK_WINDOWS = tuple(Window(day, *hours) for day in range(1, 6) for hours in (MORNING, AFTERNOON))

HOLIDAYS, MAKEUP_DAYS = china_calendar_dates(date(2025, 1, 1), date(2026, 12, 31))
OFFICE = Calendar(windows=LUNCH_BREAK_WINDOWS, holidays=HOLIDAYS, workdays=MAKEUP_DAYS)
ALWAYS_OPEN = Calendar(always_open=True, holidays=HOLIDAYS, workdays=MAKEUP_DAYS)


def sh(text: str) -> datetime:
    """'2025-03-10 08:30' as an aware Shanghai datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def pauses(*spans: tuple[str, str | None]) -> list[tuple[datetime, datetime | None]]:
    return [(sh(paused), None if resumed is None else sh(resumed)) for paused, resumed in spans]


def test_office_calendar_uses_the_published_2025_holidays():
    # Spring Festival: 01-28..02-04 off, make-up Sunday 01-26 and Saturday 02-08.
    # National Day: 10-01..10-08 off, make-up Sunday 09-28 and Saturday 10-11.
    spring = {date(2025, 1, 28) + timedelta(days=n) for n in range(8)}
    national = {date(2025, 10, 1) + timedelta(days=n) for n in range(8)}
    assert spring | national <= OFFICE.holidays
    assert {date(2025, 1, 26), date(2025, 2, 8), date(2025, 9, 28), date(2025, 10, 11)} <= OFFICE.workdays
    assert date(2025, 1, 27) not in OFFICE.holidays
    assert date(2025, 2, 5) not in OFFICE.holidays
    validate_calendar(OFFICE)


# 2025-03-10 is a Monday in an ordinary week; 03-14 Friday, 03-15 Saturday, 03-17 Monday.
@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        ("2025-03-10 07:00", 60, "2025-03-10 09:30"),  # before opening: counts from 08:30
        ("2025-03-10 07:00", 0, "2025-03-10 08:30"),  # zero minutes outside hours: the next opening
        ("2025-03-10 08:30", 0, "2025-03-10 08:30"),  # zero minutes inside a window: the start itself
        ("2025-03-10 10:15", 0, "2025-03-10 10:15"),
        ("2025-03-10 11:30", 60, "2025-03-10 14:00"),  # 30 before lunch + 30 after
        ("2025-03-10 12:30", 60, "2025-03-10 14:30"),  # during lunch: counts from 13:30
        ("2025-03-10 12:30", 0, "2025-03-10 13:30"),
        ("2025-03-10 12:00", 1, "2025-03-10 13:31"),  # 12:00 is already outside the morning window
        ("2025-03-10 11:00", 60, "2025-03-10 12:00"),  # used up exactly at lunch: due at 12:00, not 13:30
        ("2025-03-10 16:00", 60, "2025-03-10 17:00"),  # used up exactly at closing: due at closing
        ("2025-03-10 16:00", 61, "2025-03-11 08:31"),
        ("2025-03-10 18:00", 30, "2025-03-11 09:00"),  # after closing: counts from tomorrow's opening
        ("2025-03-10 17:00", 0, "2025-03-11 08:30"),
        ("2025-03-10 08:30", 420, "2025-03-10 17:00"),  # one full day
        ("2025-03-10 08:30", 421, "2025-03-11 08:31"),
        ("2025-03-10 09:00", 480, "2025-03-11 10:00"),  # 390 on Monday + 90 on Tuesday
        ("2025-03-10 08:30", 2100, "2025-03-14 17:00"),  # 5 x 420: the whole week
        ("2025-03-14 16:30", 60, "2025-03-17 09:00"),  # 30 on Friday, weekend skipped, 30 on Monday
        ("2025-03-15 10:00", 60, "2025-03-17 09:30"),  # Saturday start
        ("2025-03-16 23:59", 1, "2025-03-17 08:31"),  # Sunday night start
    ],
)
def test_add_business_minutes_lunch_break_calendar_matches_hand_count(start, minutes, expected):
    assert add_business_minutes(OFFICE, sh(start), minutes) == sh(expected)


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        # 72 business hours from Friday 01-24 16:00: 60 (Fri) + 420 x 10 working days (Sun 01-26 make-up,
        # Mon 01-27, Wed 02-05 .. Sat 02-08 make-up, Mon 02-10 .. Thu 02-13) = 4260; the last 60 on Fri 02-14.
        ("2025-01-24 16:00", 72 * 60, "2025-02-14 09:30"),
        ("2025-01-27 16:00", 120, "2025-02-05 09:30"),  # 60 on Mon 01-27, then the whole festival is skipped
        ("2025-01-25 10:00", 60, "2025-01-26 09:30"),  # Saturday start, make-up Sunday works
        ("2025-02-07 16:30", 60, "2025-02-08 09:00"),  # make-up Saturday works (Monday's windows)
        ("2025-02-08 16:30", 60, "2025-02-10 09:00"),  # ordinary Sunday 02-09 does not
        ("2025-01-29 10:00", 0, "2025-02-05 08:30"),  # zero minutes on a holiday: next opening
        ("2025-09-26 16:00", 120, "2025-09-28 09:30"),  # Fri, Sat off, make-up Sunday 09-28
        ("2025-09-30 16:00", 120, "2025-10-09 09:30"),  # last day before National Day, then 10-09
        ("2025-10-10 16:30", 60, "2025-10-11 09:00"),  # make-up Saturday 10-11
        ("2025-10-11 16:30", 60, "2025-10-13 09:00"),  # Sunday 10-12 off
    ],
)
def test_add_business_minutes_chinese_holidays_and_makeup_days_match_hand_count(start, minutes, expected):
    assert add_business_minutes(OFFICE, sh(start), minutes) == sh(expected)


def test_add_business_minutes_result_is_utc_aware():
    result = add_business_minutes(OFFICE, sh("2025-03-10 09:00"), 60)
    assert result.tzinfo is UTC
    assert result == datetime(2025, 3, 10, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "minutes", "expected_utc"),
    [
        # Berlin 02:00 CET = 01:00 UTC = 09:00 Shanghai; +60 -> 10:00 Shanghai.
        (datetime(2025, 3, 10, 2, 0, tzinfo=BERLIN), 60, datetime(2025, 3, 10, 2, 0, tzinfo=UTC)),
        # New York 20:00 EDT (DST began that morning) = 00:00 UTC = 08:00 Shanghai: before opening.
        (datetime(2025, 3, 9, 20, 0, tzinfo=NEW_YORK), 30, datetime(2025, 3, 10, 1, 0, tzinfo=UTC)),
        # 00:30 UTC = 08:30 Shanghai; a full day ends 17:00 Shanghai = 09:00 UTC.
        (datetime(2025, 3, 10, 0, 30, tzinfo=UTC), 420, datetime(2025, 3, 10, 9, 0, tzinfo=UTC)),
        # Friday 10:00 UTC = 18:00 Shanghai: after closing, Monday 08:30 + 10 = 00:40 UTC.
        (datetime(2025, 3, 14, 10, 0, tzinfo=UTC), 10, datetime(2025, 3, 17, 0, 40, tzinfo=UTC)),
    ],
)
def test_add_business_minutes_start_in_other_zone_uses_calendar_zone(start, minutes, expected_utc):
    assert add_business_minutes(OFFICE, start, minutes) == expected_utc


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2025-03-10 08:30", "2025-03-10 17:00", 420),
        ("2025-03-10 00:00", "2025-03-11 00:00", 420),
        ("2025-03-10 11:00", "2025-03-10 14:00", 90),  # 60 before lunch, 30 after
        ("2025-03-10 12:10", "2025-03-10 13:20", 0),  # all lunch
        ("2025-03-15 00:00", "2025-03-17 00:00", 0),  # weekend
        ("2025-03-10 09:00", "2025-03-10 08:00", 0),  # end before start
        ("2025-03-10 09:00", "2025-03-10 09:00", 0),
        ("2025-03-10 08:30:00", "2025-03-10 08:30:59", 0),  # whole minutes only
        ("2025-03-10 08:29:30", "2025-03-10 08:31:15", 1),
        ("2025-01-24 16:00", "2025-02-14 09:30", 72 * 60),  # the Spring Festival case, backwards
        ("2025-01-28 00:00", "2025-02-05 00:00", 0),  # the whole festival
        ("2025-02-08 00:00", "2025-02-09 00:00", 420),  # make-up Saturday is a full working day
        ("2025-09-27 00:00", "2025-10-12 00:00", 420 * 6),  # 09-28, 09-29, 09-30, 10-09, 10-10, 10-11
    ],
)
def test_business_minutes_between_matches_hand_count(start, end, expected):
    assert business_minutes_between(OFFICE, sh(start), sh(end)) == expected


@pytest.mark.parametrize(
    ("day", "working", "next_day"),
    [
        (date(2025, 3, 10), True, date(2025, 3, 10)),
        (date(2025, 3, 15), False, date(2025, 3, 17)),
        (date(2025, 1, 26), True, date(2025, 1, 26)),  # make-up Sunday
        (date(2025, 1, 28), False, date(2025, 2, 5)),
        (date(2025, 2, 4), False, date(2025, 2, 5)),
        (date(2025, 2, 8), True, date(2025, 2, 8)),  # make-up Saturday
        (date(2025, 9, 27), False, date(2025, 9, 28)),
        (date(2025, 10, 1), False, date(2025, 10, 9)),
        (date(2025, 10, 12), False, date(2025, 10, 13)),
    ],
)
def test_is_working_day_and_next_working_day_follow_holidays_and_makeup_days(day, working, next_day):
    assert is_working_day(OFFICE, day) is working
    assert next_working_day(OFFICE, day) == next_day


def test_makeup_day_uses_the_makeup_weekday_windows():
    # Friday works only mornings here; a make-up Saturday set to work like Friday gets a morning only.
    windows = (Window(1, time(9), time(17)), Window(5, time(9), time(12)))
    calendar = Calendar(windows=windows, workdays=frozenset({date(2025, 2, 8)}), makeup_weekday=5)
    assert business_minutes_between(calendar, sh("2025-02-08 00:00"), sh("2025-02-09 00:00")) == 180


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        ("2025-01-27 16:00", 1440, "2025-01-28 16:00"),  # into Spring Festival: holidays ignored
        ("2025-01-31 23:30", 60, "2025-02-01 00:30"),
        ("2025-09-30 12:00", 8 * 1440, "2025-10-08 12:00"),
        ("2025-03-15 03:00", 0, "2025-03-15 03:00"),
    ],
)
def test_add_business_minutes_always_open_counts_every_minute(start, minutes, expected):
    assert add_business_minutes(ALWAYS_OPEN, sh(start), minutes) == sh(expected)


def test_always_open_counts_1440_minutes_on_holidays_and_weekends():
    assert business_minutes_between(ALWAYS_OPEN, sh("2025-01-28 00:00"), sh("2025-01-29 00:00")) == 1440
    assert business_minutes_between(ALWAYS_OPEN, sh("2025-10-01 00:00"), sh("2025-10-09 00:00")) == 8 * 1440
    assert is_working_day(ALWAYS_OPEN, date(2025, 1, 28))
    assert next_working_day(ALWAYS_OPEN, date(2025, 10, 1)) == date(2025, 10, 1)


@pytest.mark.parametrize(
    ("start", "minutes", "ledger", "expected"),
    [
        # Paused on the last day before National Day, resumed after it: 210 before the pause (09:00-12:00,
        # 13:30-14:00), then 120 (10:00-12:00) + 150 (13:30-16:00) on 10-09. The holiday is not removed twice.
        ("2025-09-30 09:00", 480, [("2025-09-30 14:00", "2025-10-09 10:00")], "2025-10-09 16:00"),
        # Paused Friday afternoon, resumed after the holiday: 180 + 90 before, 180 + 30 on 10-09.
        ("2025-09-26 09:00", 480, [("2025-09-26 15:00", "2025-10-09 09:00")], "2025-10-09 14:00"),
        ("2025-03-10 09:00", 480, [("2025-03-10 10:00", None)], None),  # still paused, 60 of 480 used
        ("2025-03-10 09:00", 60, [("2025-03-10 11:00", None)], "2025-03-10 10:00"),  # used up before the pause
        ("2025-03-10 09:00", 60, [("2025-03-10 10:00", None)], "2025-03-10 10:00"),  # used up as it began
        ("2025-03-10 09:00", 60, [("2025-03-07 10:00", None)], None),  # open since before the start
        # Overlapping pauses, one partly before the start: paused 08:00-09:30 and 10:00-14:00 in all;
        # 30 (09:30-10:00) + 180 (14:00-17:00) on Monday, the last 30 on Tuesday.
        (
            "2025-03-10 09:00",
            240,
            [
                ("2025-03-10 10:00", "2025-03-10 11:00"),
                ("2025-03-10 10:30", "2025-03-10 14:00"),
                ("2025-03-10 08:00", "2025-03-10 09:30"),
            ],
            "2025-03-11 09:00",
        ),
        # Same pause recorded twice counts once: 60 before it, 60 after it.
        (
            "2025-03-10 09:00",
            120,
            [("2025-03-10 10:00", "2025-03-10 11:00"), ("2025-03-10 10:00", "2025-03-10 11:00")],
            "2025-03-10 12:00",
        ),
        # A pause nested inside another changes nothing.
        (
            "2025-03-10 09:00",
            120,
            [("2025-03-10 10:00", "2025-03-10 11:00"), ("2025-03-10 10:15", "2025-03-10 10:45")],
            "2025-03-10 12:00",
        ),
        ("2025-03-10 09:00", 60, [("2025-03-07 10:00", "2025-03-07 11:00")], "2025-03-10 10:00"),  # before start
        ("2025-03-10 09:00", 60, [("2025-03-07 10:00", "2025-03-10 11:00")], "2025-03-10 12:00"),  # partly before
        ("2025-03-14 16:00", 120, [("2025-03-15 10:00", "2025-03-16 18:00")], "2025-03-17 09:30"),  # weekend
        ("2025-03-10 11:00", 120, [("2025-03-10 12:15", "2025-03-10 13:15")], "2025-03-10 14:30"),  # lunch
        # A closed pause, then an open one after the target was used up: 30 + 90.
        (
            "2025-03-10 09:00",
            120,
            [("2025-03-10 13:00", None), ("2025-03-10 09:30", "2025-03-10 10:00")],
            "2025-03-10 11:30",
        ),
        ("2025-03-10 09:00", 60, [("2025-03-10 09:20", "2025-03-10 09:20")], "2025-03-10 10:00"),  # zero length
    ],
)
def test_due_at_with_pause_ledger_matches_hand_count(start, minutes, ledger, expected):
    result = due_at(OFFICE, sh(start), minutes, pauses(*ledger))
    assert result == (None if expected is None else sh(expected))


@pytest.mark.parametrize(
    ("start", "now", "ledger", "expected"),
    [
        ("2025-03-10 09:00", "2025-03-11 09:00", [], 420),  # 390 + 30
        ("2025-09-30 09:00", "2025-10-09 11:00", [("2025-09-30 14:00", "2025-10-09 10:00")], 270),  # 210 + 60
        ("2025-03-10 09:00", "2025-03-12 09:00", [("2025-03-10 10:00", None)], 60),  # open pause runs to now
        (
            "2025-03-10 09:00",
            "2025-03-10 17:00",
            [
                ("2025-03-10 10:00", "2025-03-10 11:00"),
                ("2025-03-10 10:30", "2025-03-10 14:00"),
                ("2025-03-10 08:00", "2025-03-10 09:30"),
            ],
            210,
        ),
        ("2025-03-10 09:00", "2025-03-10 10:00", [("2025-03-10 09:30", "2025-03-10 12:00")], 30),  # resumes later
        ("2025-03-10 09:00", "2025-03-10 09:00", [], 0),
        ("2025-03-10 09:00", "2025-03-10 08:00", [], 0),
        ("2025-01-24 16:00", "2025-02-14 09:30", [], 72 * 60),
    ],
)
def test_elapsed_business_minutes_with_pause_ledger_matches_hand_count(start, now, ledger, expected):
    assert elapsed_business_minutes(OFFICE, sh(start), sh(now), pauses(*ledger)) == expected


def _starts(first: str, last: str, step_minutes: int) -> list[datetime]:
    start, stop = sh(first), sh(last)
    return [
        start + n * timedelta(minutes=step_minutes)
        for n in range(int((stop - start) / timedelta(minutes=step_minutes)))
    ]


@pytest.mark.parametrize("calendar", [OFFICE, ALWAYS_OPEN], ids=["office", "always_open"])
def test_business_minutes_between_inverts_add_business_minutes_over_many_starts(calendar):
    # Every 37 minutes from before Spring Festival to after it, so starts land in windows, lunches, nights,
    # weekends, holidays and make-up days.
    for start in _starts("2025-01-20 00:00", "2025-02-12 00:00", 37):
        for minutes in (0, 1, 59, 210, 420, 421, 4320):
            due = add_business_minutes(calendar, start, minutes)
            assert business_minutes_between(calendar, start, due) == minutes, (start, minutes)
            assert due_at(calendar, start, minutes) == due
            assert due >= start


def test_add_business_minutes_of_between_never_overshoots_the_end():
    for start in _starts("2025-09-25 00:00", "2025-10-14 00:00", 113):
        for hours in (1, 7, 30, 100):
            end = start + timedelta(hours=hours)
            minutes = business_minutes_between(OFFICE, start, end)
            reached = add_business_minutes(OFFICE, start, minutes)
            # Zero minutes from a closed instant is the next opening, which may lie after `end`.
            assert reached <= end or (minutes == 0 and reached == add_business_minutes(OFFICE, start, 0))
            assert business_minutes_between(OFFICE, start, reached) == minutes
            assert elapsed_business_minutes(OFFICE, start, end) == minutes


def test_night_shift_split_at_midnight_counts_across_it():
    # 22:00-24:00 Monday and 00:00-06:00 Tuesday; time(0, 0) as an end means midnight at the end of the day.
    calendar = Calendar(windows=(Window(1, time(22), time(0)), Window(2, time(0), time(6))))
    validate_calendar(calendar)
    assert add_business_minutes(calendar, sh("2025-03-10 21:00"), 180) == sh("2025-03-11 01:00")
    assert business_minutes_between(calendar, sh("2025-03-10 00:00"), sh("2025-03-12 00:00")) == 480


BERLIN_OFFICE = Calendar(timezone="Europe/Berlin", windows=tuple(Window(day, time(9), time(17)) for day in range(1, 6)))


@pytest.mark.parametrize(
    ("start", "minutes", "expected_utc"),
    [
        # Friday 16:00 CET, clocks go forward on Sunday 03-30: Monday 09:00 is CEST = 07:00 UTC, +60.
        (datetime(2025, 3, 28, 16, tzinfo=BERLIN), 120, datetime(2025, 3, 31, 8, tzinfo=UTC)),
        # Friday 16:00 CEST, clocks go back on Sunday 10-26: Monday 09:00 is CET = 08:00 UTC, +60.
        (datetime(2025, 10, 24, 16, tzinfo=BERLIN), 120, datetime(2025, 10, 27, 9, tzinfo=UTC)),
    ],
)
def test_add_business_minutes_across_dst_change_uses_local_wall_time(start, minutes, expected_utc):
    assert add_business_minutes(BERLIN_OFFICE, start, minutes) == expected_utc


def test_always_open_across_dst_change_counts_elapsed_time_not_wall_time():
    calendar = Calendar(timezone="Europe/Berlin", always_open=True)
    start = datetime(2025, 3, 29, 12, tzinfo=BERLIN)  # 11:00 UTC
    assert add_business_minutes(calendar, start, 1440) == datetime(2025, 3, 30, 11, tzinfo=UTC)  # 13:00 CEST
    spring_day = (datetime(2025, 3, 30, tzinfo=BERLIN), datetime(2025, 3, 31, tzinfo=BERLIN))
    autumn_day = (datetime(2025, 10, 26, tzinfo=BERLIN), datetime(2025, 10, 27, tzinfo=BERLIN))
    assert business_minutes_between(calendar, *spring_day) == 23 * 60
    assert business_minutes_between(calendar, *autumn_day) == 25 * 60


@pytest.mark.parametrize(
    ("window", "sunday", "expected"),
    [
        ((time(2), time(4)), date(2025, 3, 23), 120),  # ordinary Sunday
        ((time(2), time(4)), date(2025, 3, 30), 60),  # 02:00-03:00 does not exist that night
        ((time(2), time(4)), date(2025, 10, 26), 180),  # 02:00-03:00 happens twice; opens at the first
        ((time(2, 15), time(2, 45)), date(2025, 3, 30), 0),  # wholly inside the gap
    ],
)
def test_window_over_dst_change_counts_real_minutes(window, sunday, expected):
    calendar = Calendar(timezone="Europe/Berlin", windows=(Window(7, *window),))
    day_start = datetime.combine(sunday, time(0), tzinfo=BERLIN)
    day_end = datetime.combine(sunday + timedelta(days=1), time(0), tzinfo=BERLIN)
    assert business_minutes_between(calendar, day_start, day_end) == expected


def test_add_business_minutes_skips_a_window_lost_in_the_dst_gap():
    calendar = Calendar(timezone="Europe/Berlin", windows=(Window(7, time(2, 15), time(2, 45)),))
    start = datetime(2025, 3, 29, 12, tzinfo=BERLIN)
    # Nothing on 03-30; the next Sunday 04-06 opens 02:15 CEST = 00:15 UTC.
    assert add_business_minutes(calendar, start, 1) == datetime(2025, 4, 6, 0, 16, tzinfo=UTC)


def _calendar(*windows: Window, **fields) -> Calendar:
    return Calendar(windows=windows or LUNCH_BREAK_WINDOWS, **fields)


@pytest.mark.parametrize(
    ("calendar", "code"),
    [
        (_calendar(timezone="Mars/Olympus_Mons"), bt.UNKNOWN_TIMEZONE),
        (_calendar(timezone=""), bt.UNKNOWN_TIMEZONE),
        (_calendar(timezone="../etc/passwd"), bt.UNKNOWN_TIMEZONE),
        (_calendar(Window(0, time(9), time(17))), bt.BAD_WEEKDAY),
        (_calendar(Window(8, time(9), time(17))), bt.BAD_WEEKDAY),
        (_calendar(makeup_weekday=0), bt.BAD_WEEKDAY),
        (_calendar(Window(1, time(9, tzinfo=UTC), time(17))), bt.BAD_WINDOW_TIME),
        (_calendar(Window(1, time(12), time(12))), bt.WINDOW_END_NOT_AFTER_START),
        (_calendar(Window(1, time(17), time(8, 30))), bt.WINDOW_END_NOT_AFTER_START),
        (_calendar(Window(1, time(8, 30), time(12)), Window(1, time(11), time(13))), bt.OVERLAPPING_WINDOWS),
        (_calendar(Window(1, time(9), time(17)), Window(1, time(9), time(17))), bt.OVERLAPPING_WINDOWS),
        (_calendar(Window(1, time(22), time(0)), Window(1, time(23), time(23, 30))), bt.OVERLAPPING_WINDOWS),
        (
            _calendar(holidays=frozenset({date(2025, 2, 8)}), workdays=frozenset({date(2025, 2, 8)})),
            bt.HOLIDAY_IS_WORKDAY,
        ),
        (Calendar(), bt.NO_WINDOWS),
        (Calendar(holidays=HOLIDAYS), bt.NO_WINDOWS),
        (_calendar(Window(2, time(9), time(17)), workdays=frozenset({date(2025, 2, 8)})), bt.MAKEUP_WEEKDAY_CLOSED),
    ],
)
def test_validate_calendar_bad_configuration_raises_with_stable_code(calendar, code):
    with pytest.raises(CalendarError) as raised:
        validate_calendar(calendar)
    assert raised.value.code == code
    # Every function refuses a broken calendar rather than computing with it.
    with pytest.raises(CalendarError) as raised:
        add_business_minutes(calendar, sh("2025-03-10 09:00"), 60)
    assert raised.value.code == code


@pytest.mark.parametrize(
    "calendar",
    [
        OFFICE,
        ALWAYS_OPEN,
        Calendar(always_open=True),
        _calendar(Window(1, time(8, 30), time(12)), Window(1, time(12), time(13))),  # touching, not overlapping
        _calendar(Window(1, time(9), time(17)), Window(2, time(9), time(17))),
        _calendar(Window(1, time(0), time(0))),  # the whole day
        Calendar(timezone="Europe/Berlin", windows=LUNCH_BREAK_WINDOWS),
    ],
)
def test_validate_calendar_good_configuration_passes(calendar):
    validate_calendar(calendar)
    assert calendar_problems(calendar) == ()


def test_validate_calendar_messages_say_what_is_wrong():
    calendar = _calendar(Window(1, time(8, 30), time(12)), Window(1, time(11), time(13)), timezone="Nowhere/City")
    problems = calendar_problems(calendar)
    assert [p.code for p in problems] == [bt.UNKNOWN_TIMEZONE, bt.OVERLAPPING_WINDOWS]
    assert problems[0].message == "Unknown time zone 'Nowhere/City'."
    assert problems[1].message == "Windows 1/08:30-12:00 and 1/11:00-13:00 overlap."
    assert problems[1].message == bt.MESSAGES[bt.OVERLAPPING_WINDOWS].format(
        first="1/08:30-12:00", second="1/11:00-13:00"
    )


def test_calendar_that_never_opens_raises_instead_of_looping():
    mondays = frozenset(date(2025, 1, 6) + timedelta(weeks=n) for n in range(4 * 53))
    calendar = Calendar(windows=(Window(1, time(9), time(17)),), holidays=mondays)
    with pytest.raises(CalendarError) as raised:
        add_business_minutes(calendar, sh("2025-01-06 09:00"), 1)
    assert raised.value.code == bt.CALENDAR_NEVER_OPENS
    with pytest.raises(CalendarError) as raised:
        next_working_day(calendar, date(2025, 1, 6))
    assert raised.value.code == bt.CALENDAR_NEVER_OPENS
    with pytest.raises(CalendarError) as raised:
        due_at(calendar, sh("2025-01-06 09:00"), 1, pauses(("2025-01-06 10:00", "2025-01-06 11:00")))
    assert raised.value.code == bt.CALENDAR_NEVER_OPENS
    # A bounded question has a bounded answer.
    assert business_minutes_between(calendar, sh("2025-01-01 00:00"), sh("2028-01-01 00:00")) == 0


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: add_business_minutes(OFFICE, datetime(2025, 3, 10, 9), 60), bt.NAIVE_DATETIME),
        (lambda: business_minutes_between(OFFICE, sh("2025-03-10 09:00"), datetime(2025, 3, 11)), bt.NAIVE_DATETIME),
        (lambda: due_at(OFFICE, sh("2025-03-10 09:00"), 60, [(datetime(2025, 3, 10, 10), None)]), bt.NAIVE_DATETIME),
        (lambda: add_business_minutes(OFFICE, sh("2025-03-10 09:00"), -1), bt.NEGATIVE_MINUTES),
        (
            lambda: due_at(OFFICE, sh("2025-03-10 09:00"), 60, pauses(("2025-03-10 11:00", "2025-03-10 10:00"))),
            bt.PAUSE_ENDS_BEFORE_START,
        ),
    ],
)
def test_bad_input_raises_with_stable_code(call, code):
    with pytest.raises(CalendarError) as raised:
        call()
    assert raised.value.code == code


def test_long_deadline_walks_days_not_minutes():
    # A year of business time from New Year must come back at once and land on the last working minute:
    # 2025 has 248 working days (261 weekdays - 18 weekday holidays + 5 make-up days), 420 minutes each.
    working_days = [d for d in (date(2025, 1, 1) + timedelta(days=n) for n in range(365)) if is_working_day(OFFICE, d)]
    assert len(working_days) == 248
    assert add_business_minutes(OFFICE, sh("2025-01-01 00:00"), 248 * 420) == sh("2025-12-31 17:00")
    # One minute more: 2026-01-01..03 are off and Sunday 01-04 is a make-up day.
    assert add_business_minutes(OFFICE, sh("2025-01-01 00:00"), 248 * 420 + 1) == sh("2026-01-04 08:31")
