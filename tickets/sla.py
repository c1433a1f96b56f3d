"""SLA targets from stored policies: calendars for the business-time module, on-site rules, deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _

from aftersales.dates import business_date
from aftersales.errors import ApplicationError
from tickets import business_time
from tickets.models import BusinessCalendar, CalendarDate, SLAPolicy
from warranty.holidays import statutory_dates

ONSITE = "onsite_arrival"
UNKNOWN_SEVERITY = "unknown_severity"
NO_SLA_POLICY = "no_sla_policy"
CALENDAR_INVALID = "calendar_invalid"
# Statutory dates are loaded for this span around the start of a deadline (longest targets are days, not years).
CALENDAR_SPAN = (timedelta(days=7), timedelta(days=730))


def engine_calendar(calendar: BusinessCalendar, *, around: date, windows=None, dates=None) -> business_time.Calendar:
    """The business-time view of a stored calendar near a day: windows, statutory dates and admin overrides."""
    windows = list(calendar.windows.all()) if windows is None else windows
    dates = list(calendar.dates.all()) if dates is None else dates
    holidays: set[date] = set()
    workdays: set[date] = set()
    if calendar.statutory_holidays == BusinessCalendar.Statutory.CN:
        statutory_off, statutory_on = statutory_dates(around - CALENDAR_SPAN[0], around + CALENDAR_SPAN[1])
        holidays |= statutory_off
        workdays |= statutory_on
    for entry in dates:  # an admin's date overrides the statutory one
        (holidays if entry.kind == CalendarDate.Kind.HOLIDAY else workdays).add(entry.date)
        (workdays if entry.kind == CalendarDate.Kind.HOLIDAY else holidays).discard(entry.date)
    return business_time.Calendar(
        timezone=calendar.timezone,
        always_open=calendar.always_open,
        windows=tuple(business_time.Window(w.weekday, w.start, w.end) for w in windows),
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        makeup_weekday=calendar.makeup_weekday,
    )


def default_policy(*, on: date) -> SLAPolicy:
    policy = (
        SLAPolicy.objects.filter(is_default=True, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
        .select_related("calendar")
        .order_by("-effective_from")
        .first()
    )
    if policy is None:
        raise ApplicationError(NO_SLA_POLICY, _("No default SLA policy is in force."), status=409)
    return policy


@dataclass(frozen=True)
class Target:
    metric: str
    minutes: int
    due_at: datetime


def onsite_minutes(
    policy: SLAPolicy, severity_minutes: int | None, *, distance_km: int | None, province: str = ""
) -> int | None:
    """Combine the severity's on-site target with the distance band or region zone, by the policy's rule."""
    place_minutes = None
    if distance_km is not None:
        for band in sorted(policy.distance_bands.all(), key=lambda b: (b.max_km is None, b.max_km or 0)):
            if band.max_km is None or distance_km <= band.max_km:
                place_minutes = band.minutes
                break
    elif province:
        zones = list(policy.zones.all())
        named = [zone for zone in zones if province in zone.provinces]
        rest = [zone for zone in zones if not zone.provinces]
        chosen = named or rest
        place_minutes = chosen[0].minutes if chosen else None
    rule = policy.onsite_rule
    candidates = [m for m in (severity_minutes, place_minutes) if m is not None]
    if not candidates:
        return None
    if rule == SLAPolicy.OnsiteRule.SEVERITY:
        return severity_minutes if severity_minutes is not None else place_minutes
    if rule == SLAPolicy.OnsiteRule.DISTANCE:
        return place_minutes if place_minutes is not None else severity_minutes
    return max(candidates) if rule == SLAPolicy.OnsiteRule.LATER else min(candidates)


def targets_for(
    policy: SLAPolicy, *, severity: str, start: datetime, distance_km: int | None = None, province: str = ""
) -> list[Target]:
    """Every metric's target for a severity, with its deadline on the policy's calendar from ``start``."""
    severities = {s.code: s for s in policy.severities.all()}
    if severity not in severities:
        raise ApplicationError(
            UNKNOWN_SEVERITY,
            _("Unknown severity %(code)s.") % {"code": severity},
            details={"severity": [_("Choose one of: %s.") % ", ".join(severities)]},
        )
    chosen = severities[severity]
    calendar = engine_calendar(policy.calendar, around=business_date(start, zone=policy.calendar.timezone))
    answer = []
    for target in sorted(policy.targets.all(), key=lambda t: t.metric_id):
        if target.severity_id != chosen.pk:
            continue
        minutes = target.minutes
        if target.metric.code == ONSITE:
            minutes = onsite_minutes(policy, minutes, distance_km=distance_km, province=province)
        try:
            due = business_time.add_business_minutes(calendar, start, minutes)
        except business_time.CalendarError as error:
            raise ApplicationError(CALENDAR_INVALID, error.message) from error
        answer.append(Target(target.metric.code, minutes, due))
    return answer


def policy_with_details(pk: int | None = None, *, on: date) -> SLAPolicy:
    """A policy (the default when ``pk`` is None) with everything the deadline computation reads."""
    policy = default_policy(on=on) if pk is None else SLAPolicy.objects.select_related("calendar").get(pk=pk)
    return (
        SLAPolicy.objects.select_related("calendar")
        .prefetch_related(
            "severities", "targets__metric", "distance_bands", "zones", "calendar__windows", "calendar__dates"
        )
        .get(pk=policy.pk)
    )
