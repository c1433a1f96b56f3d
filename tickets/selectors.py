"""Reads of repair cases, scoped to the user who asks."""

from __future__ import annotations

from django.db.models import F, Prefetch, QuerySet
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError
from aftersales.scoping import scope_for
from tickets.models import Ticket, Timer, Visit

TICKET_NOT_FOUND = "ticket_not_found"


def ticket_scope(*, user) -> QuerySet[Ticket]:
    """Cases the user may see (aftersales.scoping): everything for the manufacturer's staff; for a dealer's
    people the cases its outlet serves or whose unit it sold."""
    return scope_for(user, Ticket.objects.all())


def visit_scope(*, user) -> QuerySet[Visit]:
    """Scheduled visits the user may see: a dealer's people see their outlet's visits."""
    return scope_for(user, Visit.objects.all())


def with_related(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Everything a list or a detail shows, in a fixed number of queries."""
    return tickets.select_related(
        "severity", "customer", "unit", "assigned_engineer", "serving_outlet", "sla_policy"
    ).prefetch_related(Prefetch("timers", queryset=Timer.objects.select_related("metric").order_by("id")))


def with_list_related(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """What a page of cases shows, for lists: the customer and unit joined (one row each per case), the small
    tables (severity, policy, engineer, outlet) read by id afterwards. Joining all six made the planner weigh
    seven tables and the case table's many indexes on every page — planning cost several times the query."""
    return tickets.select_related("customer", "unit").prefetch_related(
        "severity",
        "assigned_engineer",
        "serving_outlet",
        "sla_policy",
        Prefetch("timers", queryset=Timer.objects.select_related("metric").order_by("id")),
    )


def ticket_get(*, user, pk: int) -> Ticket:
    try:
        return with_related(ticket_scope(user=user)).get(pk=pk)
    except Ticket.DoesNotExist:
        raise ApplicationError(TICKET_NOT_FOUND, _("No such case."), status=404) from None


def by_next_deadline(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """What is due first comes first (cases with no running deadline last), sorted in the database by the
    stored next deadline (the open cases' partial indexes keep this order, so a page is an index range)."""
    return tickets.order_by(F("next_due_at").asc(nulls_last=True), "-reported_at", "-id")
