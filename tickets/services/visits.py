"""Generating scheduled visits from contracts' plans: idempotent, spread over each contract year, moved off
days off to the next working day, and assigned to the contract units' serving outlet."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError, ConflictError
from aftersales.roles import Role
from tickets import business_time, sla
from tickets.models import BusinessCalendar, Notification, Ticket, Visit, VisitPlan
from warranty.models import ServiceContract

BATCH = 1000
VISIT_DONE = "visit_done"
CONFIRMATION_REQUIRED = "confirmation_required"
CASE_EXISTS = "case_exists"
FINDINGS_REQUIRED = "findings_required"


def add_months(day: date, months: int) -> date:
    from warranty.engine import add_months as engine_add_months

    return engine_add_months(day, months)


def working_calendar(*, around: date) -> business_time.Calendar | None:
    """China's working days (the first calendar with statutory holidays); None: every day is a working day."""
    calendar = BusinessCalendar.objects.filter(statutory_holidays=BusinessCalendar.Statutory.CN).order_by("id").first()
    return sla.engine_calendar(calendar, around=around) if calendar else None


def plan_slots(plan: VisitPlan, contract: ServiceContract) -> list[tuple[str, str, date]]:
    """(slot, kind, nominal date) of every visit in every contract year, before moving off days off."""
    slots = []
    year_start, year = contract.starts_on, 1
    while year_start <= contract.ends_on:
        year_end = add_months(contract.starts_on, 12 * year)
        length = (year_end - year_start).days
        for kind, count, shift in (
            (Visit.Kind.ONSITE, plan.onsite_per_year, 0.5),
            (Visit.Kind.PHONE, plan.phone_per_year, 0.25),
        ):
            for number in range(1, count + 1):
                offset = round((number - 1 + shift) * length / count)
                nominal = year_start + timedelta(days=offset)
                if kind == Visit.Kind.ONSITE and number == 1 and year == 1 and plan.first_within_months:
                    nominal = min(nominal, add_months(contract.starts_on, plan.first_within_months))
                slots.append((f"{year}#{kind}#{number}", kind, nominal))
        year_start, year = year_end, year + 1
    return slots


def visits_generate(*, today: date, horizon_days: int = 30, now: datetime | None = None) -> int:
    """Create the visits due from ``today`` to ``today + horizon_days``; returns how many were new."""
    now = now or timezone.now()
    end = today + timedelta(days=horizon_days)
    plans = {plan.code: plan for plan in VisitPlan.objects.all()}
    calendar = working_calendar(around=today)
    contracts = ServiceContract.objects.filter(
        visit_plan__in=list(plans), starts_on__lte=end, ends_on__gte=today
    ).order_by("id")
    created, last_id = 0, 0
    while True:
        batch = list(contracts.filter(id__gt=last_id).prefetch_related("units")[:BATCH])
        if not batch:
            return created
        last_id = batch[-1].pk
        visits = []
        for contract in batch:
            plan = plans[contract.visit_plan]
            outlet_id = next((u.selling_dealer_id for u in contract.units.all() if u.selling_dealer_id), None)
            for slot, kind, nominal in plan_slots(plan, contract):
                due = business_time.next_working_day(calendar, nominal) if calendar else nominal
                if today <= due <= end and due <= contract.ends_on:
                    visits.append(
                        Visit(
                            plan=plan,
                            contract=contract,
                            slot=slot,
                            kind=kind,
                            due_on=due,
                            outlet_id=outlet_id,
                            created_at=now,
                        )
                    )
        before = Visit.objects.filter(contract__in=batch).count()
        Visit.objects.bulk_create(visits, ignore_conflicts=True, batch_size=BATCH)
        created += Visit.objects.filter(contract__in=batch).count() - before


@transaction.atomic
def visit_complete(
    *, visit: Visit, actor, checklist: list[dict], findings: str, confirmed_by: str, now: datetime | None = None
) -> Visit:
    """Record an inspection: the checklist, what was found, and the customer's confirmation."""
    now = now or timezone.now()
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.status == Visit.Status.DONE:
        raise ConflictError(VISIT_DONE, _("This visit is already recorded."))
    if not confirmed_by.strip():
        raise ApplicationError(
            CONFIRMATION_REQUIRED,
            _("The customer must confirm the visit."),
            details={"confirmed_by": [_("Who confirmed it for the customer?")]},
        )
    visit.status, visit.done_at, visit.assigned_to = Visit.Status.DONE, now, visit.assigned_to or actor
    visit.checklist, visit.findings, visit.confirmed_by = checklist, findings, confirmed_by.strip()
    visit.save()
    return visit


@transaction.atomic
def visit_open_case(*, visit: Visit, actor, severity: str = "minor", now: datetime | None = None) -> Ticket:
    """A finding becomes a repair case in one click (once)."""
    from tickets.services.tickets import ticket_create

    visit = Visit.objects.select_for_update().select_related("contract__customer").get(pk=visit.pk)
    if visit.ticket_id:
        raise ConflictError(CASE_EXISTS, _("A case was already opened from this visit."))
    if not visit.findings.strip():
        raise ApplicationError(FINDINGS_REQUIRED, _("Record what was found first."))
    unit = visit.contract.units.order_by("id").first()
    ticket = ticket_create(
        actor=actor,
        channel="web",
        reporter_name=visit.confirmed_by or actor.get_full_name(),
        description=visit.findings,
        severity=severity,
        unit=unit,
        customer=visit.contract.customer,
        serving_outlet=visit.outlet,
        category=_("inspection finding"),
        now=now,
    )
    visit.ticket = ticket
    visit.save(update_fields=["ticket"])
    return ticket


def visits_notify_overdue(*, today: date, now: datetime | None = None) -> int:
    """Overdue planned visits escalate like SLA steps: the service managers are told once per visit."""
    now = now or timezone.now()
    overdue = list(
        Visit.objects.filter(status=Visit.Status.PLANNED, due_on__lt=today)
        .exclude(pk__in=Notification.objects.filter(kind="visit_overdue").values("object_id"))
        .select_related("contract")[:BATCH]
    )
    managers = Group.objects.filter(name=Role.SERVICE_MANAGER).first()
    recipients = list(managers.user_set.filter(is_active=True)) if managers else []
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind="visit_overdue",
            object_id=visit.pk,
            created_at=now,
            title=_("Visit overdue: %(contract)s, due %(due)s")
            % {"contract": visit.contract.number, "due": visit.due_on.isoformat()},
        )
        for visit in overdue
        for user in recipients
    )
    return len(overdue)
