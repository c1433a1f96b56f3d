"""Everything the rules of one regime look at, computed once per evaluation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

from .dates import check_repair, end_of_day, repair_days, wait_days
from .periods import build_periods
from .presets import resolved_options, resolved_params
from .start import applicable_terms
from .types import FAILURE_TYPES, WAIT_PARTIES, ComponentTerm, EngineError, Fault, Period, Repair, Terms, UnitFacts
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
    current_days: int | None  # days of the current repair so far; None when the unit is not in repair

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
        """The failed component's own period, when its terms give it one."""
        comp = self.component(self.fault.component) if self.fault.component else None
        if comp is None or comp.months is None:
            return None
        return self.periods[f"component:{comp.code}"]

    def covers(self, period: Period, day: date) -> bool:
        """Whether ``period`` covered ``day`` at the reported usage."""
        within_usage = period.usage_limit is None or (self.usage is not None and self.usage <= period.usage_limit)
        return period.start <= day <= period.end and within_usage


def is_excluded(terms: Terms, quality_problem: bool, problem_code: str) -> bool:
    """Not a quality problem, or an excluded cause: no 三包 right, and not counted in any tally."""
    return not quality_problem or (bool(problem_code) and problem_code in terms.exclusions)


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


def _as_of(day: date, fault: Fault, like: datetime) -> datetime:
    """The moment open repairs are measured to: ``fault.assessed_at``, else the end of the claim date."""
    moment = fault.assessed_at or end_of_day(day, like)
    if (moment.tzinfo is None) != (like.tzinfo is None):
        raise EngineError("mixed_time_zones", _("Naive and aware datetimes cannot be mixed."), field="assessed_at")
    return moment


def _clip(repair: Repair, moment: datetime) -> Repair:
    # A repair completed after the assessed moment was still open at that moment.
    if repair.completed_at is not None and repair.completed_at > moment:
        return dataclasses.replace(repair, completed_at=None)
    return repair


def _counted(terms: Terms, history: tuple[Repair, ...], start: date, day: date, fault: Fault) -> tuple[Repair, ...]:
    kept = []
    for repair in history:
        _check_usage(repair.usage, "history.usage")
        if repair.parts_wait_party not in WAIT_PARTIES:
            raise EngineError("unknown_wait_party", _("Unknown parts-wait party."), field="history.parts_wait_party")
        check_repair(repair)
        # Repairs of an earlier unit (before an exchange) and repairs agreed after the claim are not history.
        if not start <= repair.confirmed_at.date() <= day:
            continue
        if is_excluded(terms, repair.quality_problem, repair.problem_code):
            continue
        moment = _as_of(day, fault, repair.confirmed_at)
        if repair.confirmed_at <= moment:
            kept.append(_clip(repair, moment))
    return tuple(sorted(kept, key=lambda r: r.confirmed_at))


def _current_repair(terms: Terms, day: date, fault: Fault) -> tuple[Repair, datetime] | None:
    if fault.handed_in_at is None or is_excluded(terms, fault.quality_problem, fault.problem_code):
        return None
    moment = _as_of(day, fault, fault.handed_in_at)
    if fault.handed_in_at > moment:
        raise EngineError(
            "handed_in_after_claim",
            _("The unit cannot be handed in after the claim is assessed."),
            field="handed_in_at",
        )
    return Repair(confirmed_at=fault.handed_in_at, completed_at=None, problem_code=fault.problem_code), moment


def _occupancy(
    repairs: tuple[Repair, ...], current: tuple[Repair, datetime] | None, day: date, fault: Fault, options: dict
) -> tuple[list[tuple[date, int]], int, int | None]:
    """(start day, occupied days) per repair, the repair-day total, and the current repair's days."""
    method = options["net_repair_time"]
    add_waits = options["goods_parts_wait"] == "added"
    spans, total = [], 0
    for repair in repairs:
        days = repair_days(repair, until=_as_of(day, fault, repair.confirmed_at), method=method)
        total += days
        spans.append((repair.confirmed_at.date(), days + (wait_days(repair.parts_wait_hours) if add_waits else 0)))
    current_days = None
    if current is not None:
        current_days = repair_days(current[0], until=current[1], method=method)
        total += current_days
        spans.append((current[0].confirmed_at.date(), current_days))
    return spans, total, current_days


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
) -> Context:
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
    params, options = resolved_params(applied), resolved_options(applied)
    repairs = _counted(applied, history, start, day, fault)
    current = _current_repair(applied, day, fault)
    spans, total, current_days = _occupancy(repairs, current, day, fault, options)
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
    )
