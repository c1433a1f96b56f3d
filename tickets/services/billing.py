"""Paid service (quotation before work), substitute units, and escalation with an emergency plan."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError, ConflictError
from tickets.models import Loaner, Quotation, Ticket
from tickets.services.events import event
from tickets.services.tickets import ticket_transition
from tickets.services.timers import timers_meet
from tickets.services.work import money
from warranty.models import PolicyVersion
from warranty.selectors import part_price_on

QUOTATION_OPEN = "quotation_open"
NO_OPEN_QUOTATION = "no_open_quotation"
LOANER_RETURNED = "loaner_returned"


def pricing_terms(ticket: Ticket) -> PolicyVersion | None:
    """The unit's policy version at intake decides out-of-warranty prices (parts at list or cost, labour)."""
    basis = (ticket.coverage_snapshot or {}).get("basis") or {}
    if not basis:
        return None
    return PolicyVersion.objects.filter(policy_id=basis["policy"]["id"], version=basis["version"]).first()


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
def quotation_create(*, ticket: Ticket, actor, lines: list[dict], now: datetime | None = None) -> Quotation:
    """Price the lines by the policy, make the case paid service, and wait for the customer's answer."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if ticket.quotations.filter(status=Quotation.Status.SENT).exists():
        raise ConflictError(QUOTATION_OPEN, _("A quotation is already waiting for the customer."))
    priced = price_lines(ticket, lines, day=timezone.localdate(now))
    total = money(sum((Decimal(line["amount"]) for line in priced), Decimal(0)))
    quotation = Quotation.objects.create(ticket=ticket, lines=priced, total=total, created_by=actor, created_at=now)
    ticket.chargeable = True
    ticket.save(update_fields=["chargeable"])
    event(ticket, actor=actor, kind="quotation_sent", at=now, data={"total": str(total)})
    if ticket.status in ("assigned", "in_progress", "waiting_parts"):
        ticket_transition(ticket=ticket, action="wait_customer", actor=actor, now=now, note=_("quotation sent"))
    return quotation


@transaction.atomic
def quotation_decide(
    *, ticket: Ticket, actor, approved: bool, customer_name: str, now: datetime | None = None
) -> Quotation:
    """The customer's answer; an approval lets work continue (and resumes a case waiting for it)."""
    now = now or timezone.now()
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
    ticket.refresh_from_db()
    if approved and ticket.status == "waiting_customer":
        ticket_transition(ticket=ticket, action="resume", actor=actor, now=now)
    return quotation


@transaction.atomic
def loaner_issue(*, ticket: Ticket, actor, description: str, serial: str = "", now: datetime | None = None) -> Loaner:
    """Lend a substitute unit (the loaner timer is met by it)."""
    now = now or timezone.now()
    loaner = Loaner.objects.create(ticket=ticket, description=description, serial=serial, lent_at=now, lent_by=actor)
    timers_meet(ticket, ("loaner",), at=now)
    event(ticket, actor=actor, kind="loaner_issued", at=now, data={"description": description, "serial": serial})
    return loaner


@transaction.atomic
def loaner_return(*, loaner: Loaner, actor, now: datetime | None = None) -> Loaner:
    now = now or timezone.now()
    loaner = Loaner.objects.select_for_update().get(pk=loaner.pk)
    if loaner.returned_at is not None:
        raise ConflictError(LOANER_RETURNED, _("This substitute unit is already back."))
    loaner.returned_at = now
    loaner.save(update_fields=["returned_at"])
    event(loaner.ticket, actor=actor, kind="loaner_returned", at=now, data={"description": loaner.description})
    return loaner


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, actor, plan: str, now: datetime | None = None) -> Ticket:
    """Cannot fix it on site: record the emergency plan agreed with the customer and escalate."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if ticket.status not in ("assigned", "in_progress", "waiting_customer", "waiting_parts"):
        raise ConflictError("invalid_transition", _("Only an open case can be escalated."))
    ticket.escalated_at, ticket.emergency_plan = now, plan
    ticket.version += 1
    ticket.save(update_fields=["escalated_at", "emergency_plan", "version"])
    event(ticket, actor=actor, kind="escalated", at=now, data={"plan": plan})
    return ticket
