"""What each role's home page shows: the desk's new and unassigned cases, the cases at risk and today's
follow-up calls; an engineer's visits today and own open cases by deadline. Scoped like every read."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from aftersales.dates import business_date
from aftersales.roles import Role
from tickets import transitions
from tickets.dashboards import sla
from tickets.dashboards.drilldown import figure
from tickets.dashboards.filters import DEFAULT_DAYS, period_filters
from tickets.models import FollowUp, Ticket, Timer, Visit
from tickets.selectors import by_next_deadline, ticket_scope, visit_scope, with_related

SHOWN = 10
DESK_ROLES = (Role.SERVICE_DESK, Role.ADMIN)


def _end_of_today() -> datetime:
    now = timezone.localtime()  # the viewer's today: one person's work
    return now.replace(hour=23, minute=59, second=59, microsecond=0)


def desk_bench(*, user, now: datetime) -> dict:
    unassigned = ticket_scope(user=user).filter(status=Ticket.Status.NEW, assigned_engineer__isnull=True)
    today = business_date(now)
    filters = period_filters(start=today - timedelta(days=DEFAULT_DAYS - 1), end=today)
    at_risk = sla.sla_at_risk(user=user, filters=filters, now=now, limit=SHOWN)
    followups = FollowUp.objects.filter(
        status=FollowUp.Status.PENDING, due_at__lte=_end_of_today(), ticket__in=ticket_scope(user=user)
    )
    return {
        "unassigned_count": unassigned.count(),
        "unassigned": with_related(unassigned).order_by("reported_at", "id")[:SHOWN],
        **_states(sla.sla_open_states(user=user, filters=filters, now=now)),
        "past_due_link": _queue(figure("open", "past_due", filters.risk_hours)),
        "at_risk_link": _queue(figure("open", "at_risk", filters.risk_hours)),
        "at_risk": at_risk,
        "followups_count": followups.count(),
        "followups": followups.select_related("ticket__customer").order_by("due_at")[:SHOWN],
    }


def _queue(figure_value: str) -> str:
    return f"{reverse('tickets:queue')}?{urlencode({'figure': figure_value}, safe=':')}"


def _states(states: dict) -> dict:
    return {"at_risk_count": states.get("at_risk", 0), "past_due_count": states.get("past_due", 0)}


def engineer_bench(*, user, now: datetime) -> dict:
    today = timezone.localdate()
    visits = visit_scope(user=user).filter(
        Q(assigned_to=user) | Q(assigned_to__isnull=True), status=Visit.Status.PLANNED, due_on__lte=today
    )
    cases = ticket_scope(user=user).filter(assigned_engineer=user, status__in=transitions.OPEN_STATUSES)
    return {
        "visits_count": visits.count(),
        "visits": visits.select_related("contract__customer", "unit__customer").order_by("due_on", "id")[:SHOWN],
        "cases_count": cases.count(),
        "cases": [
            {"ticket": ticket, "next": _next(ticket)} for ticket in by_next_deadline(with_related(cases))[:SHOWN]
        ],
    }


def _next(ticket):
    """The earliest running or breached deadline (from the prefetched timers)."""
    active = [
        t
        for t in ticket.timers.all()
        if t.state in (Timer.State.RUNNING, Timer.State.BREACHED) and t.stopped_at is None and t.due_at
    ]
    return min(active, key=lambda t: t.due_at, default=None)


def bench(*, user, now: datetime) -> dict:
    """The home page's panels for the user's roles (none for roles that work elsewhere)."""
    result = {}
    if user.has_role(*DESK_ROLES):
        result["desk"] = desk_bench(user=user, now=now)
    if user.has_role(Role.ENGINEER):
        result["engineer"] = engineer_bench(user=user, now=now)
    return result
