"""Business-time arithmetic for SLA timers.

Pure: no ORM, no settings, no clock reads. Every instant is passed in as a timezone-aware datetime and every
instant returned is UTC-aware. Working windows are wall-clock times in the calendar's zone, resolved per date,
so a zone with DST (Europe/Berlin) gets 23- and 25-hour days right.

Intervals are half-open: a window 08:30-12:00 contains 08:30 but not 12:00. Adding N minutes returns the instant
at which the N-th minute is used up, so a budget that runs out at closing time is due at closing time (17:00),
not at the next opening.

Wall times that a DST change makes ambiguous resolve to their first occurrence; wall times that do not exist
(the spring-forward gap) resolve to the instant the clocks jump.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ONE_DAY = timedelta(days=1)
ONE_MINUTE = timedelta(minutes=1)
MIDNIGHT = time(0, 0)
# A calendar closed for longer than this is treated as broken rather than searched forever.
MAX_CLOSED_DAYS = 3 * 366

UNKNOWN_TIMEZONE = "unknown_timezone"
BAD_WEEKDAY = "bad_weekday"
BAD_WINDOW_TIME = "bad_window_time"
WINDOW_END_NOT_AFTER_START = "window_end_not_after_start"
OVERLAPPING_WINDOWS = "overlapping_windows"
HOLIDAY_IS_WORKDAY = "holiday_is_workday"
NO_WINDOWS = "no_windows"
MAKEUP_WEEKDAY_CLOSED = "makeup_weekday_closed"
CALENDAR_NEVER_OPENS = "calendar_never_opens"
NAIVE_DATETIME = "naive_datetime"
NEGATIVE_MINUTES = "negative_minutes"
PAUSE_ENDS_BEFORE_START = "pause_ends_before_start"

MESSAGES = {
    UNKNOWN_TIMEZONE: "Unknown time zone {timezone!r}.",
    BAD_WEEKDAY: "Weekday {weekday!r} is not an ISO weekday (1 = Monday .. 7 = Sunday).",
    BAD_WINDOW_TIME: "Window {window} must use plain local times without a time zone.",
    WINDOW_END_NOT_AFTER_START: "Window {window} must end after it starts (split a window that crosses midnight).",
    OVERLAPPING_WINDOWS: "Windows {first} and {second} overlap.",
    HOLIDAY_IS_WORKDAY: "{day} is listed both as a holiday and as a make-up working day.",
    NO_WINDOWS: "The calendar has no working windows and is not open 7x24.",
    MAKEUP_WEEKDAY_CLOSED: "Make-up working days use the windows of weekday {weekday}, which has none.",
    CALENDAR_NEVER_OPENS: "The calendar has no working time in {days} days from {day}.",
    NAIVE_DATETIME: "{name} must be timezone-aware.",
    NEGATIVE_MINUTES: "Minutes must not be negative, got {minutes}.",
    PAUSE_ENDS_BEFORE_START: "A pause resumed at {resumed_at} before it began at {paused_at}.",
}


class CalendarError(ValueError):
    """A calendar or an input the arithmetic cannot work with; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str, params: dict | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        # The values the message names (windows, days, zone), so a caller can word it in the user's language.
        self.params = params or {}


def _error(code: str, **params: object) -> CalendarError:
    return CalendarError(code, MESSAGES[code].format(**params), params)


@dataclass(frozen=True)
class Window:
    """One working window on a weekday, in local wall time. `end` is exclusive; `time(0, 0)` as the end means
    midnight at the end of the day (24:00), which is how a night shift is split: 22:00-00:00 and 00:00-06:00."""

    weekday: int  # ISO 1 (Mon) .. 7 (Sun)
    start: time
    end: time

    def __str__(self) -> str:
        end = "24:00" if self.end == MIDNIGHT else _clock(self.end)
        return f"{self.weekday}/{_clock(self.start)}-{end}"


def _clock(value: object) -> str:
    # Messages must render even for the malformed windows they report.
    return value.strftime("%H:%M") if isinstance(value, time) else repr(value)


@dataclass(frozen=True)
class Calendar:
    timezone: str = "Asia/Shanghai"
    always_open: bool = False  # 7x24: every minute counts, holidays included; windows are then ignored
    windows: tuple[Window, ...] = ()  # several per weekday allowed (lunch break = two windows)
    holidays: frozenset[date] = frozenset()  # days off even if their weekday has windows
    workdays: frozenset[date] = frozenset()  # make-up working days (调休): worked even on a weekend
    makeup_weekday: int = 1  # a make-up day uses the windows of this weekday (default Monday)


Pause = tuple[datetime, datetime | None]
_Span = tuple[datetime, datetime]
_DayWindow = tuple[time, time]
_ALL_DAY: tuple[_DayWindow, ...] = ((MIDNIGHT, MIDNIGHT),)


def _end_offset(window: Window) -> timedelta:
    end = window.end
    if end == MIDNIGHT:
        return ONE_DAY
    return timedelta(hours=end.hour, minutes=end.minute, seconds=end.second, microseconds=end.microsecond)


def _start_offset(window: Window) -> timedelta:
    start = window.start
    return timedelta(hours=start.hour, minutes=start.minute, seconds=start.second, microseconds=start.microsecond)


def _is_weekday(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 7


def _window_problems(windows: Sequence[Window]) -> list[CalendarError]:
    problems: list[CalendarError] = []
    valid: list[Window] = []
    for window in windows:
        if not _is_weekday(window.weekday):
            problems.append(_error(BAD_WEEKDAY, weekday=window.weekday))
        elif not all(isinstance(t, time) and t.tzinfo is None for t in (window.start, window.end)):
            problems.append(_error(BAD_WINDOW_TIME, window=window))
        elif _end_offset(window) <= _start_offset(window):
            problems.append(_error(WINDOW_END_NOT_AFTER_START, window=window))
        else:
            valid.append(window)
    valid.sort(key=lambda w: (w.weekday, _start_offset(w)))
    for first, second in zip(valid, valid[1:], strict=False):
        # Touching windows (12:00 end, 12:00 start) are fine; only a shared minute is an overlap.
        if first.weekday == second.weekday and _start_offset(second) < _end_offset(first):
            problems.append(_error(OVERLAPPING_WINDOWS, first=first, second=second))
    return problems


def calendar_problems(calendar: Calendar) -> tuple[CalendarError, ...]:
    """Every configuration error in `calendar`, in a stable order, so an admin form can list them all."""
    problems: list[CalendarError] = []
    try:
        ZoneInfo(calendar.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        problems.append(_error(UNKNOWN_TIMEZONE, timezone=calendar.timezone))
    problems.extend(_window_problems(calendar.windows))
    if not _is_weekday(calendar.makeup_weekday):
        problems.append(_error(BAD_WEEKDAY, weekday=calendar.makeup_weekday))
    problems.extend(_error(HOLIDAY_IS_WORKDAY, day=d) for d in sorted(calendar.holidays & calendar.workdays))
    if not calendar.always_open:
        if not calendar.windows:
            problems.append(_error(NO_WINDOWS))
        elif calendar.workdays and not any(w.weekday == calendar.makeup_weekday for w in calendar.windows):
            problems.append(_error(MAKEUP_WEEKDAY_CLOSED, weekday=calendar.makeup_weekday))
    return tuple(problems)


def validate_calendar(calendar: Calendar) -> None:
    """Raise the first of `calendar_problems(calendar)`, if any."""
    problems = calendar_problems(calendar)
    if problems:
        raise problems[0]


@dataclass(frozen=True)
class _Plan:
    """A validated calendar, indexed for the day-by-day walk."""

    zone: ZoneInfo
    always_open: bool
    by_weekday: dict[int, tuple[_DayWindow, ...]]
    holidays: frozenset[date]
    workdays: frozenset[date]
    makeup_weekday: int


@lru_cache(maxsize=256)
def _plan(calendar: Calendar) -> _Plan:
    # Cached per calendar value: sweeps call the arithmetic for thousands of timers on a handful of calendars.
    validate_calendar(calendar)
    by_weekday: dict[int, list[_DayWindow]] = {}
    for window in sorted(calendar.windows, key=_start_offset):
        by_weekday.setdefault(window.weekday, []).append((window.start, window.end))
    return _Plan(
        zone=ZoneInfo(calendar.timezone),
        always_open=calendar.always_open,
        by_weekday={weekday: tuple(windows) for weekday, windows in by_weekday.items()},
        holidays=calendar.holidays,
        workdays=calendar.workdays,
        makeup_weekday=calendar.makeup_weekday,
    )


def _windows_on(plan: _Plan, day: date) -> tuple[_DayWindow, ...]:
    if plan.always_open:
        return _ALL_DAY
    if day in plan.holidays:
        return ()
    # A make-up day stands in for a weekday taken off, so it works that weekday's hours, not a Saturday's.
    weekday = plan.makeup_weekday if day in plan.workdays else day.isoweekday()
    return plan.by_weekday.get(weekday, ())


def _wall(dt: datetime, zone: ZoneInfo) -> datetime:
    return dt.astimezone(zone).replace(tzinfo=None)


def _to_utc(zone: ZoneInfo, wall: datetime) -> datetime:
    """The UTC instant of a local wall time: first occurrence if ambiguous, the clock jump if it does not exist."""
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(instant, zone) == wall:
        return instant
    # In a DST gap the two folds bracket the jump; local time is monotone in between, so bisect for the jump.
    lo, hi = sorted((wall.replace(tzinfo=zone, fold=1).astimezone(UTC), instant))
    while hi - lo > timedelta(microseconds=1):
        mid = lo + (hi - lo) // 2
        if _wall(mid, zone) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def _day_spans(plan: _Plan, day: date) -> Iterator[_Span]:
    for start, end in _windows_on(plan, day):
        opens = _to_utc(plan.zone, datetime.combine(day, start))
        closes = _to_utc(plan.zone, datetime.combine(day + ONE_DAY if end == MIDNIGHT else day, end))
        if opens < closes:  # a window inside a DST gap has no duration that day
            yield opens, closes


def _business_spans(plan: _Plan, start: datetime, end: datetime | None = None) -> Iterator[_Span]:
    """Working spans in UTC, in order, clipped to [start, end). Unbounded when `end` is None."""
    # Begin a day early: the local date of `start` can differ from the date whose windows contain it around a
    # DST fold at midnight; the clip below discards whatever lies before `start`.
    day = _wall(start, plan.zone).date() - ONE_DAY
    last_day = None if end is None else _wall(end, plan.zone).date() + ONE_DAY
    closed_run = 0
    while last_day is None or day <= last_day:
        if _windows_on(plan, day):
            closed_run = 0
            for opens, closes in _day_spans(plan, day):
                opens, closes = max(opens, start), closes if end is None else min(closes, end)
                if opens < closes:
                    yield opens, closes
        else:
            closed_run += 1
            if end is None and closed_run > MAX_CLOSED_DAYS:
                raise _error(CALENDAR_NEVER_OPENS, days=MAX_CLOSED_DAYS, day=day - MAX_CLOSED_DAYS * ONE_DAY)
        day += ONE_DAY


def _as_utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise _error(NAIVE_DATETIME, name=name)
    return value.astimezone(UTC)


def _merge_pauses(pauses: Iterable[Pause]) -> list[tuple[datetime, datetime | None]]:
    """Pauses as sorted, disjoint UTC spans; an open pause (None) swallows everything after it."""
    spans: list[tuple[datetime, datetime | None]] = []
    for paused_at, resumed_at in pauses:
        begin = _as_utc(paused_at, "paused_at")
        finish = None if resumed_at is None else _as_utc(resumed_at, "resumed_at")
        if finish is not None and finish < begin:
            raise _error(PAUSE_ENDS_BEFORE_START, paused_at=paused_at, resumed_at=resumed_at)
        spans.append((begin, finish))
    merged: list[tuple[datetime, datetime | None]] = []
    for begin, finish in sorted(spans, key=lambda span: span[0]):
        if merged and (merged[-1][1] is None or begin <= merged[-1][1]):
            last_begin, last_finish = merged[-1]
            if last_finish is None or finish is None:
                merged[-1] = (last_begin, None)
            else:
                merged[-1] = (last_begin, max(last_finish, finish))
        else:
            merged.append((begin, finish))
    return merged


def _unpaused(spans: Iterable[_Span], pauses: list[tuple[datetime, datetime | None]]) -> Iterator[_Span]:
    """`spans` minus `pauses` (both sorted). Ends at an open pause: nothing after it counts until it resumes.

    Set difference, not subtraction of durations, so a pause over a holiday removes the holiday only once."""
    index = 0
    for begin, finish in spans:
        while begin < finish:
            while index < len(pauses) and (pause_end := pauses[index][1]) is not None and pause_end <= begin:
                index += 1
            if index == len(pauses) or finish <= pauses[index][0]:
                yield begin, finish
                break
            paused_at, resumed_at = pauses[index]
            if begin < paused_at:
                yield begin, paused_at
            if resumed_at is None:
                return
            begin = resumed_at


def _consume(spans: Iterable[_Span], minutes: int) -> datetime | None:
    if minutes < 0:
        raise _error(NEGATIVE_MINUTES, minutes=minutes)
    remaining = minutes * ONE_MINUTE
    for begin, finish in spans:
        if remaining <= finish - begin:
            return begin + remaining
        remaining -= finish - begin
    return None


def _total_minutes(spans: Iterable[_Span]) -> int:
    # Whole minutes only: a timer that has run 59.9 minutes has not used its 60th.
    return sum((finish - begin for begin, finish in spans), timedelta()) // ONE_MINUTE


def is_working_day(calendar: Calendar, day: date) -> bool:
    """Whether `day` has working windows (always true for a 7x24 calendar)."""
    return bool(_windows_on(_plan(calendar), day))


def next_working_day(calendar: Calendar, day: date) -> date:
    """The first working day on or after `day`; used to move visits that fall on holidays."""
    plan = _plan(calendar)
    for offset in range(MAX_CLOSED_DAYS + 1):
        candidate = day + offset * ONE_DAY
        if _windows_on(plan, candidate):
            return candidate
    raise _error(CALENDAR_NEVER_OPENS, days=MAX_CLOSED_DAYS, day=day)


def add_business_minutes(calendar: Calendar, start: datetime, minutes: int) -> datetime:
    """The UTC instant at which `minutes` of business time after `start` are used up.

    Counting begins at `start` if it lies inside a window, else at the next opening; with `minutes == 0` that
    instant itself is returned."""
    result = _consume(_business_spans(_plan(calendar), _as_utc(start, "start")), minutes)
    assert result is not None  # the span stream is endless (or raises CALENDAR_NEVER_OPENS)
    return result


def business_minutes_between(calendar: Calendar, start: datetime, end: datetime) -> int:
    """Whole business minutes in [start, end); 0 if `end` is not after `start`."""
    start_utc, end_utc = _as_utc(start, "start"), _as_utc(end, "end")
    if end_utc <= start_utc:
        return 0
    return _total_minutes(_business_spans(_plan(calendar), start_utc, end_utc))


def due_at(calendar: Calendar, start: datetime, minutes: int, pauses: Sequence[Pause] = ()) -> datetime | None:
    """The deadline: the UTC instant at which `minutes` of unpaused business time after `start` are used up.

    `pauses` is the ledger of (paused_at, resumed_at) with resumed_at None while still paused; pauses may overlap
    or begin before `start`. Returns None while a pause is open and the budget was not used up before it began.
    Without pauses this equals `add_business_minutes`."""
    spans = _business_spans(_plan(calendar), _as_utc(start, "start"))
    return _consume(_unpaused(spans, _merge_pauses(pauses)), minutes)


def elapsed_business_minutes(calendar: Calendar, start: datetime, now: datetime, pauses: Sequence[Pause] = ()) -> int:
    """Whole unpaused business minutes in [start, now); an open pause counts as paused up to `now`."""
    start_utc, now_utc = _as_utc(start, "start"), _as_utc(now, "now")
    if now_utc <= start_utc:
        return 0
    spans = _business_spans(_plan(calendar), start_utc, now_utc)
    return _total_minutes(_unpaused(spans, _merge_pauses(pauses)))
