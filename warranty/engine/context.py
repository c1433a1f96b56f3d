"""Everything the rules of one regime look at, computed once per evaluation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from django.utils.translation import gettext as _

from .dates import check_repair, days_since, end_of_day, local_date, repair_days, wait_days
from .periods import build_periods, own_months
from .presets import resolved_options, resolved_params
from .start import applicable_terms
from .types import (
    EXCLUSIONS,
    FAILURE_TYPES,
    WAIT_PARTIES,
    ComponentTerm,
    EngineError,
    Fault,
    Period,
    Repair,
    Terms,
    UnitFacts,
)
from .validation import check_structure, validate_terms


@dataclass(frozen=True)
class Context:
    terms: Terms  # under the regime that applies
    params: dict
    options: dict
    facts: UnitFacts
    start: date
    start_event: str
    claim_date: date
    usage: int | None
    fault: Fault
    repairs: tuple[Repair, ...]  # counted repairs (quality problems, not excluded), oldest first
    periods: dict[str, Period]
    repair_days_total: int  # counted repairs plus the current one, excluded hours removed
    occupied_days: int  # days the unit was in repair or waiting for parts (goods extension, depreciation)
    current_days: int | None  # repair time of the current repair so far (24 h days); None when not in repair
    # Calendar days since the hand-in day (not counted) up to the assessed day; None when not in repair.
    days_since_hand_in: int | None
    zone: tzinfo | None  # the business zone dates are taken in; None: each datetime's own

    @property
    def regime(self) -> str:
        return self.terms.regime

    def component(self, code: str) -> ComponentTerm | None:
        return next((comp for comp in self.terms.components if comp.code == code), None)

    def system_of(self, code: str) -> str:
        """The car system of an assembly or part code ("battery" may be declared as the power_battery)."""
        comp = self.component(code)
        return (comp.system or comp.code) if comp else code

    def own_period(self) -> Period | None:
        """The failed component's own period, when its terms give it one (months, a usage limit or both)."""
        comp = self.component(self.fault.component) if self.fault.component else None
        if comp is None or own_months(self.terms, comp) is None:
            return None
        return self.periods[f"component:{comp.code}"]

    def local_date(self, moment: datetime) -> date:
        return local_date(moment, self.zone)

    def local_text(self, moment: datetime) -> str:
        """A moment as the explanation shows it: in the business zone, to the minute."""
        if self.zone is not None and moment.tzinfo is not None:
            moment = moment.astimezone(self.zone)
        return moment.strftime("%Y-%m-%d %H:%M")

    @property
    def refund_date(self) -> date:
        return self.fault.refund_date or self.claim_date

    def covers(self, period: Period, day: date) -> bool:
        """Whether ``period`` covered ``day`` at the reported usage."""
        within_usage = period.usage_limit is None or (self.usage is not None and self.usage <= period.usage_limit)
        return period.start <= day <= period.end and within_usage


def is_excluded(terms: Terms, quality_problem: bool, problem_code: str, exclusion: str = "") -> bool:
    """Not a quality problem, a problem code the terms exclude, or a named exclusion: no 三包 right, and not
    counted in any tally."""
    return bool(exclusion) or not quality_problem or (bool(problem_code) and problem_code in terms.exclusions)


def fault_excluded(terms: Terms, fault: Fault) -> bool:
    return is_excluded(terms, fault.quality_problem, fault.problem_code, fault.exclusion)


def check_terms(terms: Terms) -> None:
    """Structure errors raise; unlawful numbers raise too, since answering on them would shortchange the law."""
    check_structure(terms)
    errors = validate_terms(terms)
    if errors:
        key, message = next(iter(errors.items()))
        raise EngineError("unlawful_terms", message, field=key)


def _check_usage(value: int | None, field: str) -> None:
    if value is not None and value < 0:
        raise EngineError("negative_usage", _("A usage reading cannot be negative."), field=field)


def _as_of(day: date, fault: Fault, like: datetime, zone: tzinfo | None) -> datetime:
    """The moment open repairs are measured to: ``fault.assessed_at``, else the end of the claim date."""
    moment = fault.assessed_at or end_of_day(day, like, zone)
    if (moment.tzinfo is None) != (like.tzinfo is None):
        raise EngineError("mixed_time_zones", _("Naive and aware datetimes cannot be mixed."), field="assessed_at")
    return moment


def _clip(repair: Repair, moment: datetime) -> Repair:
    # A repair completed after the assessed moment was still open at that moment.
    if repair.completed_at is not None and repair.completed_at > moment:
        return dataclasses.replace(repair, completed_at=None)
    return repair


def _counted(
    terms: Terms, history: tuple[Repair, ...], start: date, day: date, fault: Fault, zone: tzinfo | None
) -> tuple[Repair, ...]:
    kept = []
    for repair in history:
        _check_usage(repair.usage, "history.usage")
        if repair.parts_wait_party not in WAIT_PARTIES:
            raise EngineError("unknown_wait_party", _("Unknown parts-wait party."), field="history.parts_wait_party")
        check_repair(repair)
        # Repairs of an earlier unit (before an exchange) and repairs agreed after the claim are not history.
        if not start <= local_date(repair.confirmed_at, zone) <= day:
            continue
        if is_excluded(terms, repair.quality_problem, repair.problem_code):
            continue
        moment = _as_of(day, fault, repair.confirmed_at, zone)
        if repair.confirmed_at <= moment:
            kept.append(_clip(repair, moment))
    return tuple(sorted(kept, key=lambda r: r.confirmed_at))


def _current_repair(terms: Terms, day: date, fault: Fault, zone: tzinfo | None) -> tuple[Repair, datetime] | None:
    if fault.handed_in_at is None or fault_excluded(terms, fault):
        return None
    moment = _as_of(day, fault, fault.handed_in_at, zone)
    if fault.handed_in_at > moment:
        raise EngineError(
            "handed_in_after_claim",
            _("The unit cannot be handed in after the claim is assessed."),
            field="handed_in_at",
        )
    return Repair(confirmed_at=fault.handed_in_at, completed_at=None, problem_code=fault.problem_code), moment


def _occupancy(
    repairs: tuple[Repair, ...],
    current: tuple[Repair, datetime] | None,
    day: date,
    fault: Fault,
    options: dict,
    zone: tzinfo | None,
) -> tuple[list[tuple[date, int]], int, int | None]:
    """(start day, occupied days) per repair, the repair-day total, and the current repair's days."""
    method = options["net_repair_time"]
    add_waits = options["goods_parts_wait"] == "added"
    spans, total = [], 0
    for repair in repairs:
        days = repair_days(repair, until=_as_of(day, fault, repair.confirmed_at, zone), method=method)
        total += days
        waited = wait_days(repair.parts_wait_hours) if add_waits else 0
        spans.append((local_date(repair.confirmed_at, zone), days + waited))
    current_days = None
    if current is not None:
        current_days = repair_days(current[0], until=current[1], method=method)
        total += current_days
        spans.append((local_date(current[0].confirmed_at, zone), current_days))
    return spans, total, current_days


def _check_fault(terms: Terms, facts: UnitFacts, day: date, fault: Fault) -> None:
    """Refuse a fault the regime cannot judge: an exclusion it does not know, a refund before the sale."""
    known = EXCLUSIONS[terms.regime]
    if fault.exclusion and fault.exclusion not in known:
        raise EngineError(
            "unknown_exclusion",
            _("%(value)s is not an exclusion of this regime; known: %(known)s.")
            % {"value": fault.exclusion, "known": ", ".join(known)},
            field="exclusion",
        )
    refund = fault.refund_date
    if refund is None:
        return
    if facts.invoice_date is not None and refund < facts.invoice_date:
        raise EngineError(
            "refund_before_invoice",
            _("A refund cannot be made (%(refund)s) before the invoice date %(invoice)s.")
            % {"refund": refund, "invoice": facts.invoice_date},
            field="refund_date",
        )
    if refund < day:
        raise EngineError(
            "refund_before_claim",
            _("A refund cannot be made (%(refund)s) before the claim date %(claim)s.")
            % {"refund": refund, "claim": day},
            field="refund_date",
        )


def build_context(
    terms: Terms,
    facts: UnitFacts,
    *,
    day: date,
    usage: int | None,
    history: tuple[Repair, ...],
    fault: Fault,
    component: str | None,
    is_working_day: Callable[[date], bool] | None,
    zone: tzinfo | None = None,
) -> Context:
    """``zone`` is the business zone the dates of aware datetimes are taken in (hand-in day, repair days);
    None takes each datetime's own offset."""
    check_terms(terms)
    _check_usage(usage, "usage")
    _check_usage(fault.return_usage, "return_usage")
    if fault.parts_wait_party not in WAIT_PARTIES:
        raise EngineError("unknown_wait_party", _("Unknown parts-wait party."), field="parts_wait_party")
    unknown = set(fault.failure_types) - set(FAILURE_TYPES)
    if unknown:
        raise EngineError(
            "unknown_failure_type",
            _("Unknown failure type: %(value)s") % {"value": ", ".join(sorted(unknown))},
            field="failure_types",
        )
    applied, start, event = applicable_terms(terms, facts)
    if day < start:
        raise EngineError(
            "claim_before_start",
            _("The date %(day)s is before the start date %(start)s.") % {"day": day, "start": start},
            field="claim_date",
        )
    _check_fault(applied, facts, day, fault)
    params, options = resolved_params(applied), resolved_options(applied)
    repairs = _counted(applied, history, start, day, fault, zone)
    current = _current_repair(applied, day, fault, zone)
    spans, total, current_days = _occupancy(repairs, current, day, fault, options, zone)
    since = None
    if current is not None:
        # Assessed on the claim date, or on the date of the moment given; both in the business zone.
        assessed = local_date(fault.assessed_at, zone) if fault.assessed_at else day
        since = days_since(local_date(fault.handed_in_at, zone), assessed)
    periods = build_periods(
        applied,
        params,
        options,
        start=start,
        day=day,
        usage=usage,
        spans=spans,
        component=component,
        is_working_day=is_working_day,
    )
    return Context(
        terms=applied,
        params=params,
        options=options,
        facts=facts,
        start=start,
        start_event=event,
        claim_date=day,
        usage=usage,
        fault=fault,
        repairs=repairs,
        periods=periods,
        repair_days_total=total,
        occupied_days=sum(days for _start, days in spans),
        current_days=current_days,
        days_since_hand_in=since,
        zone=zone,
    )
