"""Generating scheduled visits from contracts' plans: idempotent, spread over each contract year, moved off
days off to the next working day, and assigned to the contract units' serving outlet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError, ConflictError
from aftersales.roles import Role
from dealers.models import DealerMember
from tickets import business_time, sla
from tickets.models import BusinessCalendar, Notification, Ticket, Visit, VisitPlan
from tickets.services.notifications import audience_for, in_every_language, role_audience
from tickets.services.tickets import ticket_create
from warranty.engine import add_months
from warranty.models import PolicyVersion, ServiceContract, Unit, WarrantyPolicy

BATCH = 1000
VISIT_DONE = "visit_done"
CONFIRMATION_REQUIRED = "confirmation_required"
CASE_EXISTS = "case_exists"
FINDINGS_REQUIRED = "findings_required"


def working_calendar(*, around: date) -> business_time.Calendar | None:
    """China's working days (the first calendar with statutory holidays); None: every day is a working day."""
    calendar = BusinessCalendar.objects.filter(statutory_holidays=BusinessCalendar.Statutory.CN).order_by("id").first()
    return sla.engine_calendar(calendar, around=around) if calendar else None


@dataclass(frozen=True)
class Span:
    """The time a plan runs over: a service contract's dates, or a unit's warranty from handover."""

    starts_on: date
    ends_on: date


def plan_slots(plan: VisitPlan, contract: ServiceContract | Span) -> list[tuple[str, str, date]]:
    """(slot, kind, nominal date) of every visit in every year of the span, before moving off days off."""
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
    """Create the visits due from ``today`` to ``today + horizon_days`` for service contracts and for units
    in warranty under a policy with a visit plan; returns how many were new."""
    now = now or timezone.now()
    plans = {plan.code: plan for plan in VisitPlan.objects.all()}
    calendar = working_calendar(around=today)
    return _contract_visits(plans, calendar, today=today, horizon_days=horizon_days, now=now) + _warranty_visits(
        plans, calendar, today=today, horizon_days=horizon_days, now=now
    )


def _due(calendar, nominal: date) -> date:
    return business_time.next_working_day(calendar, nominal) if calendar else nominal


def _contract_visits(plans, calendar, *, today: date, horizon_days: int, now: datetime) -> int:
    end = today + timedelta(days=horizon_days)
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
                due = _due(calendar, nominal)
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
        assign_engineers(visits)
        before = Visit.objects.filter(contract__in=batch).count()
        Visit.objects.bulk_create(visits, ignore_conflicts=True, batch_size=BATCH)
        created += Visit.objects.filter(contract__in=batch).count() - before


def handover(unit: Unit) -> date | None:
    """When the customer got the unit: acceptance, installation, delivery or invoice, the first known."""
    return unit.acceptance_date or unit.installation_date or unit.delivery_date or unit.invoice_date


def _warranty_visits(plans, calendar, *, today: date, horizon_days: int, now: datetime) -> int:
    end = today + timedelta(days=horizon_days)
    policies = {policy.pk: policy for policy in WarrantyPolicy.objects.filter(visit_plan__in=list(plans))}
    if not policies:
        return 0
    months = {}
    for policy_id, whole in (
        PolicyVersion.objects.filter(policy_id__in=policies)
        .order_by("policy_id", "-effective_from")
        .values_list("policy_id", "whole_unit_months")
    ):
        months.setdefault(policy_id, whole)
    units = (
        Unit.objects.filter(Q(policy_id__in=policies) | Q(policy__isnull=True, product_model__policy_id__in=policies))
        .select_related("product_model")
        .order_by("id")
    )
    created, last_id = 0, 0
    while True:
        batch = list(units.filter(id__gt=last_id)[:BATCH])
        if not batch:
            return created
        last_id = batch[-1].pk
        visits = []
        for unit in batch:
            policy_id = unit.policy_id or unit.product_model.policy_id
            start = handover(unit)
            if start is None or policy_id not in months:
                continue
            span = Span(start, add_months(start, months[policy_id]))
            if span.ends_on < today:
                continue
            for slot, kind, nominal in plan_slots(plans[policies[policy_id].visit_plan], span):
                due = _due(calendar, nominal)
                if today <= due <= end and due <= span.ends_on:
                    visits.append(
                        Visit(
                            plan=plans[policies[policy_id].visit_plan],
                            unit=unit,
                            slot=f"w{slot}",
                            kind=kind,
                            due_on=due,
                            outlet_id=unit.selling_dealer_id,
                            created_at=now,
                        )
                    )
        assign_engineers(visits)
        before = Visit.objects.filter(unit__in=batch).count()
        Visit.objects.bulk_create(visits, ignore_conflicts=True, batch_size=BATCH)
        created += Visit.objects.filter(unit__in=batch).count() - before


def assign_engineers(visits: list[Visit]) -> None:
    """Give each new visit to the serving outlet's engineer with the fewest planned visits (dealer members
    with the engineer role); visits of outlets without engineers wait for the desk to dispatch them."""
    outlets = {visit.outlet_id for visit in visits if visit.outlet_id}
    if not outlets:
        return
    engineers: dict[int, list[int]] = {}
    for dealer_id, user_id in DealerMember.objects.filter(
        dealer_id__in=outlets, user__groups__name=Role.ENGINEER, user__is_active=True
    ).values_list("dealer_id", "user_id"):
        engineers.setdefault(dealer_id, []).append(user_id)
    load = dict(
        Visit.objects.filter(
            status=Visit.Status.PLANNED, assigned_to__in=[u for ids in engineers.values() for u in ids]
        )
        .values_list("assigned_to")
        .annotate(count=Count("id"))
    )
    for visit in sorted(visits, key=lambda v: v.due_on):
        candidates = engineers.get(visit.outlet_id)
        if candidates and visit.assigned_to_id is None:
            chosen = min(candidates, key=lambda user_id: (load.get(user_id, 0), user_id))
            visit.assigned_to_id = chosen
            load[chosen] = load.get(chosen, 0) + 1


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
    visit = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("contract__customer", "unit__customer")
        .get(pk=visit.pk)
    )
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
    audience = role_audience(Role.SERVICE_MANAGER)
    Notification.objects.bulk_create(
        Notification(
            recipient_id=user_id,
            kind="visit_overdue",
            object_id=visit.pk,
            created_at=now,
            title=_("Visit overdue: %(contract)s, due %(due)s")
            % {"contract": visit.subject, "due": visit.due_on.isoformat()},
            texts=in_every_language(
                lambda visit=visit: (
                    _("Visit overdue: %(contract)s, due %(due)s")
                    % {"contract": visit.subject, "due": visit.due_on.isoformat()},
                    "",
                )
            ),
        )
        for visit in overdue
        for user_id in audience_for(audience, (visit.outlet_id,))
    )
    return len(overdue)
