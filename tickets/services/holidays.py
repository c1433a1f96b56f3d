"""China's statutory holiday data for the business calendars: the one write path, and the coverage check.

A calendar that follows China's statutory days (``BusinessCalendar.Statutory.CN``) needs each year's State
Council schedule. ``holiday_gaps`` finds the years nobody knows (neither an admin's schedule nor the
installed `chinesecalendar`) over the next ``HOLIDAY_HORIZON_DAYS`` days, and the years running deadlines
reach; admins see them in a banner (admin and home page), in ``/healthz`` as a warning, and are told once per
year by ``holiday_gaps_notify`` (beat). ``holiday_schedule_save`` writes a year's schedule and moves the
running deadlines it changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.dates import business_date
from aftersales.models import User
from aftersales.outbox import outbox_enqueue
from aftersales.roles import Role
from tickets.models import BusinessCalendar, Notification, Ticket, Timer
from tickets.services import timers as timer_services
from tickets.services.events import event
from tickets.services.tickets import ticket_lock
from warranty.holidays import uncovered_years
from warranty.services.holidays import holiday_schedule_write

logger = logging.getLogger(__name__)

NOTIFICATION_KIND = "holiday_gap"
HEALTH_WARNING = "holiday_data_missing"
# One key for pg_advisory_xact_lock: overlapping beat runs notify one after the other, never twice.
NOTIFY_LOCK = 7_302_027
RECOMPUTE_BATCH = 500
OPEN_TIMER = Q(stopped_at__isnull=True, met_at__isnull=True)


def statutory_calendars() -> list[str]:
    """Names of the calendars that follow China's statutory days."""
    return list(
        BusinessCalendar.objects.filter(statutory_holidays=BusinessCalendar.Statutory.CN)
        .order_by("name")
        .values_list("name", flat=True)
    )


@dataclass(frozen=True)
class HolidayGaps:
    """What is missing: years without data in the next days (``window_years``) or reached by a running
    deadline (``deadline_years``), for the ``calendars`` that follow China's statutory days."""

    window_years: tuple[int, ...] = ()
    deadline_years: tuple[int, ...] = ()
    calendars: tuple[str, ...] = ()
    first_day: date | None = None
    horizon_days: int = 90
    years: tuple[int, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "years", tuple(sorted(set(self.window_years) | set(self.deadline_years))))

    def __bool__(self) -> bool:
        return bool(self.years)

    def message(self) -> str:
        years = ", ".join(str(year) for year in self.years)
        return _(
            "China's statutory holidays for %(years)s are not known: the calendars %(calendars)s would treat the "
            "holidays as working days and the make-up weekends as days off. Enter the State Council schedule "
            "for %(years)s."
        ) % {"years": years, "calendars": ", ".join(self.calendars)}


def holiday_gaps(*, today: date | None = None, horizon_days: int | None = None) -> HolidayGaps:
    """The years a calendar following China's statutory days lacks data for: any day from ``today`` to
    ``today + horizon_days``, and the days running deadlines fall on. A handful of small queries."""
    today = today or business_date()
    horizon_days = settings.HOLIDAY_HORIZON_DAYS if horizon_days is None else horizon_days
    calendars = tuple(statutory_calendars())
    if not calendars:
        return HolidayGaps(horizon_days=horizon_days)
    end = today + timedelta(days=horizon_days)
    window = uncovered_years(today, end)
    # Running deadlines beyond the window (a long target, a deadline computed far ahead); served by the
    # running timers' due_at index.
    running = Timer.objects.filter(
        state=Timer.State.RUNNING, ticket__sla_policy__calendar__statutory_holidays=BusinessCalendar.Statutory.CN
    )
    latest = running.filter(due_at__gt=_instant(end)).aggregate(latest=Max("due_at"))["latest"]
    deadline_years: list[int] = []
    if latest is not None:
        for year in uncovered_years(end + timedelta(days=1), business_date(latest)):
            if year not in window and running.filter(due_at__gte=_instant(date(year, 1, 1))).exists():
                deadline_years.append(year)
    first_day = None
    if window:
        first_day = max(today, date(window[0], 1, 1))
    return HolidayGaps(window, tuple(deadline_years), calendars, first_day, horizon_days)


def _instant(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_default_timezone())


def ticket_uncovered_years(ticket: Ticket, timers: Iterable[Timer]) -> tuple[int, ...]:
    """The years without statutory data between the case's report and its latest open deadline, when its
    policy's calendar follows China's statutory days (the case page says so)."""
    calendar = ticket.sla_policy.calendar
    if calendar.statutory_holidays != BusinessCalendar.Statutory.CN:
        return ()
    open_due = [t.due_at for t in timers if t.due_at and t.stopped_at is None and t.met_at is None]
    if not open_due:
        return ()
    start = business_date(ticket.reported_at, zone=calendar.timezone)
    return uncovered_years(start, business_date(max(open_due), zone=calendar.timezone))


# -- the one write path --------------------------------------------------------------------------------


@transaction.atomic
def holiday_schedule_save(
    *,
    year: int,
    days_off: Iterable[date],
    makeup_days: Iterable[date],
    source: str = "",
    actor=None,
    now: datetime | None = None,
) -> tuple[object, int]:
    """Create or replace a year's State Council schedule (checked: make-up days on weekends, no day both),
    then recompute the running deadlines of the cases on calendars following China's statutory days whose
    time runs over a changed date; each such case gets a "deadlines_recomputed" event. All or nothing.
    Returns (the schedule, how many cases were recomputed)."""
    now = now or timezone.now()
    schedule, changed = holiday_schedule_write(
        year=year, days_off=days_off, makeup_days=makeup_days, source=source, actor=actor, now=now
    )
    return schedule, _recompute_affected(changed, year=year, actor=actor, now=now)


def _recompute_affected(changed: frozenset[date], *, year: int, actor, now: datetime) -> int:
    if not changed:
        return 0
    # A day's margin on each side: calendars keep their own zones.
    first, last = _instant(min(changed) - timedelta(days=1)), _instant(max(changed) + timedelta(days=2))
    affected = (
        Timer.objects.filter(OPEN_TIMER, started_at__lt=last)
        .filter(Q(due_at__isnull=True) | Q(due_at__gte=first))
        .filter(ticket__sla_policy__calendar__statutory_holidays=BusinessCalendar.Statutory.CN)
        .values_list("ticket_id", flat=True)
        .distinct()
    )
    ticket_ids = sorted(set(affected))
    for start in range(0, len(ticket_ids), RECOMPUTE_BATCH):
        for ticket_id in ticket_ids[start : start + RECOMPUTE_BATCH]:
            ticket = ticket_lock(Ticket(pk=ticket_id))  # the case first, then its timers
            before = {t.metric.code: t.due_at for t in ticket.timers.select_related("metric").filter(OPEN_TIMER)}
            timer_services.timers_recompute(ticket, now=now)
            after = {t.metric.code: t.due_at for t in ticket.timers.select_related("metric").filter(OPEN_TIMER)}
            moved = {
                code: [_iso(before.get(code)), _iso(due)] for code, due in after.items() if before.get(code) != due
            }
            event(
                ticket,
                actor=actor,
                kind="deadlines_recomputed",
                at=now,
                data={"reason": "holiday_schedule", "year": year, "moved": moved},
            )
    return len(ticket_ids)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# -- telling the admins --------------------------------------------------------------------------------


def holiday_admins() -> list[User]:
    """Who configures calendars: the manufacturer's active admins and superusers (never a dealer's user)."""
    return list(
        User.objects.filter(Q(groups__name=Role.ADMIN) | Q(is_superuser=True), is_active=True)
        .filter(dealer_membership__isnull=True)
        .distinct()
        .order_by("id")
    )


def holiday_gaps_notify(*, now: datetime | None = None) -> int:
    """The beat job: tell every admin once per missing year (an in-app notification in their language and
    an e-mail digest through the outbox). Re-running, or two runs at once, tells nobody twice. Returns how
    many notifications were made."""
    now = now or timezone.now()
    gaps = holiday_gaps(today=business_date(now))
    if not gaps:
        return 0
    logger.warning("Statutory holiday data missing for %s (calendars %s).", gaps.years, ", ".join(gaps.calendars))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NOTIFY_LOCK])
        told = set(
            Notification.objects.filter(kind=NOTIFICATION_KIND, object_id__in=gaps.years).values_list(
                "recipient_id", "object_id"
            )
        )
        made = []
        for user in holiday_admins():
            with translation.override(user.language):
                for year in gaps.years:
                    if (user.pk, year) in told:
                        continue
                    made.append(
                        Notification(
                            recipient=user,
                            kind=NOTIFICATION_KIND,
                            object_id=year,
                            created_at=now,
                            title=_("Statutory holidays for %(year)s are missing") % {"year": year},
                            body=HolidayGaps((year,), (), gaps.calendars).message(),
                        )
                    )
        created = Notification.objects.bulk_create(made)
        by_user: dict[int, list[int]] = {}
        for notification in created:
            by_user.setdefault(notification.recipient_id, []).append(notification.pk)
        for user_id, ids in by_user.items():
            outbox_enqueue("tickets.notification_digest", user_id, ids, now=now)
    return len(created)


def health_warnings() -> list[dict]:
    """``/healthz``'s warnings (not failures): the years without statutory holiday data."""
    gaps = holiday_gaps()
    if not gaps:
        return []
    with translation.override("en"):
        message = gaps.message()
    return [
        {
            "code": HEALTH_WARNING,
            "years": list(gaps.years),
            "calendars": list(gaps.calendars),
            "message": message,
        }
    ]
