"""An SLA policy's details as case intake reads them, kept per web process under the configuration stamp.

What a new case's deadlines are computed from — the policy's severities, targets (with their metrics),
distance bands, region zones and ladder steps, its calendar row with its windows and dates, and the engine
calendar built from them with the statutory dates — changes only when an admin edits it, yet intake would
read it again for every case (eight queries and the ORM's work for each). The database keeps a stamp that
every write to those tables replaces (statement triggers, migration ``0023``): intake reads it in the query
that chooses the policy, and the details kept for that policy under that stamp are used as they are. An
edit by any path (admin, service, shell, bulk update) gives a new stamp, so the next case reads the details
again; nothing stale is ever used. Without a stamp (the table emptied) nothing is kept.

The instances kept are shared by the requests of one process and only read: a case points to its severity,
its timers to their metrics, as they would to freshly read rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Model

from aftersales.stamps import UNREAD, StampedCache
from tickets import business_time, sla
from tickets.models import BusinessCalendar, SLAPolicy
from tickets.services.clock import CalendarCache
from tickets.services.ladder import PolicyCache

# A policy's details, kept under the configuration stamp (versions in force and their predecessors: a
# handful in practice).
_details = StampedCache("tickets_slaconfigstamp")
STAMP_SQL = _details.sql
# The stamp as a column of the query that reads the policy: ``SLAPolicy.objects.annotate(config_stamp=STAMP)``.
STAMP = _details.column
current_stamp = _details.current
forget = _details.forget
# Engine calendars kept per policy (one per business day a case starts on); older ones are dropped past this.
CALENDAR_DAYS = 64


class BoundedCalendarCache(CalendarCache):
    """Engine calendars per stored calendar and day, at most ``CALENDAR_DAYS`` of them."""

    def get(self, calendar: BusinessCalendar, around: date) -> business_time.Calendar:
        key = (calendar.pk, around)
        found = self._calendars.get(key)
        if found is None:
            if len(self._calendars) >= CALENDAR_DAYS:
                self._calendars.clear()
            found = self._calendars[key] = sla.engine_calendar(calendar, around=around)
        return found


@dataclass
class Details:
    calendar: BusinessCalendar
    related: dict[str, list[Model]]
    calendar_related: dict[str, list[Model]]
    ladder: PolicyCache


def _prefetched(manager, items: list[Model]):
    """A queryset of the relation that answers ``all()`` from ``items`` (as prefetch_related leaves it)."""
    queryset = manager.all()
    queryset._result_cache = list(items)
    queryset._prefetch_done = True
    return queryset


def _read(policy: SLAPolicy) -> Details:
    calendar = policy.calendar
    related = {
        "severities": list(policy.severities.all()),
        "targets": list(policy.targets.select_related("metric")),
        "distance_bands": list(policy.distance_bands.all()),
        "zones": list(policy.zones.all()),
        "escalation_steps": list(policy.escalation_steps.all()),
    }
    calendar_related = {"windows": list(calendar.windows.all()), "dates": list(calendar.dates.all())}
    ladder = PolicyCache()
    ladder.calendars = BoundedCalendarCache()
    ladder._steps[policy.pk] = related["escalation_steps"]
    return Details(calendar=calendar, related=related, calendar_related=calendar_related, ladder=ladder)


def with_details(policy: SLAPolicy, *, stamp: str | None = UNREAD) -> PolicyCache:
    """Attach the policy's details (and its calendar's) to ``policy`` as prefetched relations, from the
    process's copy when it was read under the same stamp, else read now (and kept when there is a stamp).
    ``stamp`` is the one read with the policy (``config_stamp``), or read here when not given. Returns the
    ladder cache (steps and engine calendars) to compute the deadlines with."""
    if stamp is UNREAD:
        stamp = getattr(policy, "config_stamp", UNREAD)
    details = _details.get(
        policy.pk, stamp, lambda: _read(policy), still=lambda details: details.calendar.pk == policy.calendar_id
    )
    cache = getattr(policy, "_prefetched_objects_cache", None)
    if cache is None:
        cache = policy._prefetched_objects_cache = {}
    for name, items in details.related.items():
        cache.setdefault(name, _prefetched(getattr(policy, name), items))
    if not SLAPolicy.calendar.is_cached(policy):
        policy.calendar = details.calendar  # the calendar row is under the stamp too
    calendar = policy.calendar
    calendar_cache = getattr(calendar, "_prefetched_objects_cache", None)
    if calendar_cache is None:
        calendar_cache = calendar._prefetched_objects_cache = {}
    for name, items in details.calendar_related.items():
        calendar_cache.setdefault(name, _prefetched(getattr(calendar, name), items))
    return details.ladder
