"""The repair a case did, in the unit's 三包 history.

Resolving a case keeps the engineer's repair report and writes the unit's repair record through the warranty
service (``repair_record_create``, the one place records are written) with the household-car Art 17 fields,
so the next intake's entitlement counts it. The record is keyed by the case ("ticket:<id>"): a case reopened
and resolved again updates its record, and signing the repair order adds both signatures to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError
from tickets.models import ChargeLine, Quotation, RepairOrder, RepairReport, Ticket
from warranty.models import RepairRecord
from warranty.services.units import repair_problems, repair_record_create

REPAIR_REPORT_INVALID = "repair_report_invalid"
# The warranty record's field names where the case's report names them differently.
REPORT_FIELD = {"confirmed_at": "repair_agreed_at", "completed_at": "repair_agreed_at"}


@dataclass(frozen=True)
class RepairFacts:
    """What the engineer reports on resolving (API and page give the same fields)."""

    problem_code: str = ""
    quality_problem: bool = True
    serious_safety: bool = False
    component: str = ""
    assemblies_replaced: tuple[str, ...] = ()
    main_parts_replaced: tuple[dict, ...] = field(default_factory=tuple)
    excluded_hours: Decimal = Decimal(0)
    usage: int | None = None
    repair_agreed_at: datetime | None = None
    handed_in_at: datetime | None = None
    findings: str = ""
    work_done: str = ""


def source_key(ticket: Ticket) -> str:
    return f"ticket:{ticket.pk}"


def default_agreed_at(ticket: Ticket) -> datetime:
    """When the repair was agreed (确定修理之时) if the engineer does not say: the customer's approval of the
    quotation for paid service, else the report of the case."""
    approved = (
        ticket.quotations.filter(status=Quotation.Status.APPROVED, decided_at__isnull=False)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    return approved or ticket.reported_at


def repair_facts_check(ticket: Ticket, facts: RepairFacts | None, *, now: datetime) -> RepairFacts:
    """The report complete and possible, with the agreed time filled in; every problem at once, per field."""
    facts = facts or RepairFacts()
    errors: dict[str, list[str]] = {}
    if ticket.unit_id and not facts.problem_code.strip():
        errors["problem_code"] = [_("Give the problem code: the unit's 三包 history counts repairs by it.")]
    agreed = facts.repair_agreed_at or default_agreed_at(ticket)
    if agreed < ticket.reported_at:
        errors.setdefault("repair_agreed_at", []).append(
            _("The repair cannot have been agreed before the case was reported.")
        )
    if facts.handed_in_at is not None and facts.handed_in_at > now:
        errors.setdefault("handed_in_at", []).append(_("This time is in the future."))
    record = {
        "confirmed_at": agreed,
        "completed_at": now,
        "excluded_hours": facts.excluded_hours,
        "assemblies_replaced": list(facts.assemblies_replaced),
        "main_parts_replaced": list(facts.main_parts_replaced),
    }
    for name, messages in repair_problems(record, now=now).items():
        errors.setdefault(REPORT_FIELD.get(name, name), []).extend(messages)
    if errors:
        raise ApplicationError(
            REPAIR_REPORT_INVALID, _("The repair report is incomplete or not possible."), details=errors
        )
    return RepairFacts(**{**facts.__dict__, "repair_agreed_at": agreed})


def _record_fields(ticket: Ticket, report: RepairReport, *, now: datetime) -> dict:
    parts = list(ticket.charge_lines.filter(kind=ChargeLine.Kind.PART).order_by("created_at", "id"))
    labour = ticket.charge_lines.filter(kind=ChargeLine.Kind.LABOUR).aggregate(total=Sum("amount"))["total"]
    loaners = list(ticket.loaners.order_by("lent_at").values_list("description", "serial"))
    return {
        "source": RepairRecord.Source.TICKET,
        "confirmed_at": report.agreed_at,
        "completed_at": now,
        "handed_in_at": report.handed_in_at or ticket.reported_at,
        "usage": report.usage if report.usage is not None else ticket.unit.usage_reading,
        "problem_code": report.problem_code,
        "quality_problem": report.quality_problem,
        "serious_safety": report.serious_safety,
        "component": report.component,
        "assemblies_replaced": list(report.assemblies_replaced),
        "main_parts_replaced": list(report.main_parts_replaced),
        "excluded_hours": report.excluded_hours,
        "fault_description": ticket.description,
        "inspection_result": report.findings,
        "repair_items": report.work_done,
        "replaced_parts": [
            {"part_number": p.part_number, "name": p.description, "quantity": str(p.quantity), "serial": p.serial}
            for p in parts
        ],
        "material_cost": sum((p.amount for p in parts), Decimal(0)),
        "labour_cost": labour or Decimal(0),
        "substitute_unit": "; ".join(" ".join(filter(None, loaner)) for loaner in loaners)[:200],
    }


def repair_report_write(ticket: Ticket, *, actor, facts: RepairFacts, now: datetime) -> RepairReport:
    """Keep the report of a resolved case (checked by ``repair_facts_check``) and, for a unit, write its
    repair record: once per case, updated when the case is resolved again."""
    report, _created = RepairReport.objects.update_or_create(
        ticket=ticket,
        defaults={
            "problem_code": facts.problem_code.strip(),
            "quality_problem": facts.quality_problem,
            "serious_safety": facts.serious_safety,
            "component": facts.component,
            "assemblies_replaced": list(facts.assemblies_replaced),
            "main_parts_replaced": list(facts.main_parts_replaced),
            "excluded_hours": facts.excluded_hours,
            "usage": facts.usage,
            "agreed_at": facts.repair_agreed_at,
            "handed_in_at": facts.handed_in_at,
            "findings": facts.findings,
            "work_done": facts.work_done,
            "resolved_at": now,
            "resolved_by": actor,
        },
    )
    if ticket.unit_id:
        fields = _record_fields(ticket, report, now=now)
        report.repair_record = repair_record_create(
            actor=actor, unit=ticket.unit, source_key=source_key(ticket), now=now, **fields
        )
        report.save(update_fields=["repair_record"])
    return report


def repair_record_sign(ticket: Ticket, *, actor, order: RepairOrder, now: datetime) -> None:
    """The signed repair order completes the unit's record: findings, work, hand-back and both signatures."""
    report = RepairReport.objects.filter(ticket=ticket, repair_record__isnull=False).first()
    if report is None:
        return
    repairer = ticket.assigned_engineer or actor
    repair_record_create(
        actor=actor,
        unit=ticket.unit,
        source_key=source_key(ticket),
        now=now,
        inspection_result=order.findings,
        repair_items=order.work_done,
        returned_at=now,
        customer_signature=order.signer_name,
        repairer_signature=(repairer.get_full_name() or repairer.username)[:100],
    )
