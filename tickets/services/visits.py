"""Generating scheduled visits from contracts' plans: idempotent, spread over each contract year, moved off
days off to the next working day, and assigned to the contract units' serving outlet."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from tickets import business_time, sla
from tickets.models import BusinessCalendar, Visit, VisitPlan
from warranty.models import ServiceContract

BATCH = 1000


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
