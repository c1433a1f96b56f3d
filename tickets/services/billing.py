"""Paid service (quotation before work), substitute units, and escalation with an emergency plan."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.dates import business_date
from aftersales.errors import ApplicationError, ConflictError
from tickets.models import Loaner, Quotation, Ticket
from tickets.services.events import event
from tickets.services.tickets import ticket_lock, ticket_transition
from tickets.services.timers import timers_meet
from tickets.services.work import money
from warranty.models import PolicyVersion
from warranty.selectors import part_price_on

QUOTATION_OPEN = "quotation_open"
NO_OPEN_QUOTATION = "no_open_quotation"
LOANER_RETURNED = "loaner_returned"
LOANER_NOT_FOUND = "loaner_not_found"
LOANER_ALREADY_REQUESTED = "loaner_already_requested"


def pricing_terms(ticket: Ticket) -> PolicyVersion | None:
    """The unit's policy version at intake decides out-of-warranty prices (parts at list or cost, labour)."""
    return ticket.coverage_policy_version


def price_lines(ticket: Ticket, lines: list[dict], *, day) -> list[dict]:
    terms = pricing_terms(ticket)
    priced = []
    for number, line in enumerate(lines, start=1):
        unit_price = line.get("unit_price")
        if line["kind"] == "part" and unit_price is None:
            listed = part_price_on(part_number=line.get("part_number", ""), day=day)
            if listed is None:
                raise ApplicationError(
                    "part_unknown",
                    _("Part %s is not on the price list; give a price.") % line.get("part_number", ""),
                    details={f"lines.{number}": ["part_number"]},
                )
            at_cost = terms is not None and terms.parts_pricing == PolicyVersion.PartsPricing.COST
            unit_price = listed.cost if at_cost and listed.cost is not None else listed.price
            line = {**line, "description": line.get("description") or listed.name}
        if line["kind"] == "labour" and unit_price is None:
            unit_price = terms.labour_rate if terms is not None else Decimal(0)
        quantity = Decimal(str(line["quantity"]))
        priced.append(
            {
                "kind": line["kind"],
                "description": line.get("description", ""),
                "part_number": line.get("part_number", ""),
                "quantity": str(quantity),
                "unit_price": str(money(Decimal(str(unit_price)))),
                "amount": str(money(quantity * Decimal(str(unit_price)))),
            }
        )
    labour = sum(Decimal(line["amount"]) for line in priced if line["kind"] == "labour")
    if terms is not None and terms.labour_cap is not None and labour > terms.labour_cap:
        # The policy caps labour per case: the quotation shows the reduction as its own line.
        priced.append(
            {
                "kind": "labour",
                "description": _("Labour cap of the warranty terms"),
                "part_number": "",
                "quantity": "1",
                "unit_price": str(money(terms.labour_cap - labour)),
                "amount": str(money(terms.labour_cap - labour)),
            }
        )
    return priced


@transaction.atomic
def quotation_create(
    *, ticket: Ticket, actor, lines: list[dict], expected_version: int | None = None, now: datetime | None = None
) -> Quotation:
    """Price the lines by the policy, make the case paid service, and wait for the customer's answer."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket, expected_version)
    if ticket.quotations.filter(status=Quotation.Status.SENT).exists():
        raise ConflictError(QUOTATION_OPEN, _("A quotation is already waiting for the customer."))
    priced = price_lines(ticket, lines, day=business_date(now))
    total = money(sum((Decimal(line["amount"]) for line in priced), Decimal(0)))
    quotation = Quotation.objects.create(ticket=ticket, lines=priced, total=total, created_by=actor, created_at=now)
    ticket.chargeable = True
    ticket.version += 1
    ticket.save(update_fields=["chargeable", "version"])
    event(ticket, actor=actor, kind="quotation_sent", at=now, data={"total": str(total)})
    if ticket.status in ("assigned", "in_progress", "waiting_parts"):
        ticket_transition(ticket=ticket, action="wait_customer", actor=actor, now=now, note=_("quotation sent"))
    return quotation


@transaction.atomic
def quotation_decide(
    *,
    ticket: Ticket,
    actor,
    approved: bool,
    customer_name: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Quotation:
    """The customer's answer; an approval lets work continue (and resumes a case waiting for it)."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket, expected_version)
    quotation = ticket.quotations.select_for_update().filter(status=Quotation.Status.SENT).first()
    if quotation is None:
        raise ConflictError(NO_OPEN_QUOTATION, _("No quotation is waiting for the customer."))
    quotation.status = Quotation.Status.APPROVED if approved else Quotation.Status.REJECTED
    quotation.decided_at, quotation.decided_by_name = now, customer_name
    quotation.save()
    event(
        ticket,
        actor=actor,
        kind="quotation_approved" if approved else "quotation_rejected",
        at=now,
        data={"customer": customer_name, "total": str(quotation.total)},
    )
    ticket.version += 1
    ticket.save(update_fields=["version"])
    if approved and ticket.status == "waiting_customer":
        ticket_transition(ticket=ticket, action="resume", actor=actor, now=now)
    return quotation


@transaction.atomic
def loaner_request(*, ticket: Ticket, actor, reason: str = "", expected_version: int | None = None, now=None) -> Ticket:
    """Start the substitute-unit workflow: the case shows that a unit is to be lent (an escalation step does
    this, or a person). Once per case until a unit is lent."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket, expected_version)
    if ticket.loaner_requested_at is not None:
        raise ConflictError(LOANER_ALREADY_REQUESTED, _("A substitute unit was already requested for this case."))
    ticket.loaner_requested_at = now
    ticket.version += 1
    ticket.save(update_fields=["loaner_requested_at", "version"])
    event(ticket, actor=actor, kind="loaner_requested", at=now, data={"reason": reason} if reason else {})
    return ticket


@transaction.atomic
def loaner_issue(
    *,
    ticket: Ticket,
    actor,
    description: str,
    serial: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Loaner:
    """Lend a substitute unit (the loaner timer is met by it)."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket, expected_version)
    loaner = Loaner.objects.create(ticket=ticket, description=description, serial=serial, lent_at=now, lent_by=actor)
    timers_meet(ticket, ("loaner",), at=now)
    ticket.version += 1
    ticket.save(update_fields=["version"])
    event(ticket, actor=actor, kind="loaner_issued", at=now, data={"description": description, "serial": serial})
    return loaner


@transaction.atomic
def loaner_return(
    *, ticket: Ticket, loaner: int, actor, expected_version: int | None = None, now: datetime | None = None
) -> Loaner:
    """The substitute unit ``loaner`` (an id of this case's loaners) is back."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket, expected_version)
    found = Loaner.objects.select_for_update().filter(ticket=ticket, pk=loaner).first()
    if found is None:
        raise ApplicationError(LOANER_NOT_FOUND, _("No such substitute unit on this case."), status=404)
    if found.returned_at is not None:
        raise ConflictError(LOANER_RETURNED, _("This substitute unit is already back."))
    found.returned_at = now
    found.save(update_fields=["returned_at"])
    ticket.version += 1
    ticket.save(update_fields=["version"])
    event(ticket, actor=actor, kind="loaner_returned", at=now, data={"description": found.description})
    return found


@transaction.atomic
def ticket_escalate(
    *, ticket: Ticket, actor, plan: str, expected_version: int | None = None, now: datetime | None = None
) -> Ticket:
    """Cannot fix it on site: record the emergency plan agreed with the customer and escalate."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket, expected_version)
    if ticket.status not in ("assigned", "in_progress", "waiting_customer", "waiting_parts"):
        raise ConflictError("invalid_transition", _("Only an open case can be escalated."))
    ticket.escalated_at, ticket.emergency_plan = now, plan
    ticket.version += 1
    ticket.save(update_fields=["escalated_at", "emergency_plan", "version"])
    event(ticket, actor=actor, kind="escalated", at=now, data={"plan": plan})
    return ticket
