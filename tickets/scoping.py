"""How repair cases belong to a dealer (see ``aftersales.scoping``): a case is the dealer's when its outlet
serves it or the dealer sold its unit; whatever hangs off a case follows the case; a unit, customer or site
the dealer serves on a case is the dealer's too."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q

from aftersales.scoping import dealer_condition, dealer_rule, in_dealer_scope, shared
from tickets.models import (
    Attachment,
    ChargeLine,
    EarlyWarning,
    EarlyWarningEvent,
    EarlyWarningRule,
    FollowUp,
    Loaner,
    Quotation,
    RepairOrder,
    Severity,
    SLAMetric,
    SLAPolicy,
    Ticket,
    TicketEvent,
    TicketPause,
    Timer,
    Visit,
    WorkLogEntry,
)
from warranty.models import Customer, Site, Unit

# SLA terms are the same for everyone (the preview quotes them to customers).
shared(SLAPolicy, Severity, SLAMetric)


@dealer_rule(EarlyWarning)
@dealer_rule(EarlyWarningEvent)
@dealer_rule(EarlyWarningRule)
def manufacturer_quality_data(dealer_id: int) -> Q:
    """Recurring-fault warnings are the manufacturer's quality review: no dealer's."""
    return Q(pk__in=[])


class EqualsAny(Func):
    """``column = ANY(array)``: with an uncorrelated ``ARRAY(SELECT …)`` the array is read once (an init
    plan) and the column's index can take it as an index condition."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        column, array = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        array_sql, array_params = compiler.compile(array)
        return f"{column_sql} = ANY({array_sql})", (*column_params, *array_params)


@dealer_rule(Ticket)
def ticket_of_dealer(dealer_id: int) -> Q:
    # The units the dealer sold as an array of ids, not a join: "outlet = D OR unit.selling dealer = D"
    # across a join can only be checked row by row, so a dealer's newest cases walked the whole case
    # index; on the case table's own columns both halves are index scans (a bitmap OR), and a page costs
    # what the dealer's own cases cost.
    sold = ArraySubquery(Unit.objects.filter(selling_dealer_id=dealer_id).order_by().values("pk"))
    return Q(serving_outlet_id=dealer_id) | Q(EqualsAny(F("unit_id"), sold))


def dealer_tickets(dealer_id: int, **relation) -> Exists:
    return Exists(Ticket.objects.filter(**relation).filter(dealer_condition(Ticket, dealer_id)))


@dealer_rule(Unit)
def unit_served_by(dealer_id: int) -> Q:
    return Q(Exists(Ticket.objects.filter(unit=OuterRef("pk"), serving_outlet_id=dealer_id)))


@dealer_rule(Customer)
def customer_of_dealer_tickets(dealer_id: int) -> Q:
    return Q(dealer_tickets(dealer_id, customer=OuterRef("pk")))


@dealer_rule(Site)
def site_of_dealer_tickets(dealer_id: int) -> Q:
    return Q(dealer_tickets(dealer_id, site=OuterRef("pk")))


@dealer_rule(Visit)
def visit_of_outlet(dealer_id: int) -> Q:
    return Q(outlet_id=dealer_id)


def _follows_ticket(dealer_id: int) -> Q:
    return in_dealer_scope(Ticket, dealer_id, field="ticket")


for _model in (
    Attachment,
    ChargeLine,
    FollowUp,
    Loaner,
    Quotation,
    RepairOrder,
    TicketEvent,
    TicketPause,
    Timer,
    WorkLogEntry,
):
    dealer_rule(_model)(_follows_ticket)
