"""Public entry points: start date, periods and the evaluation of one claim."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, tzinfo

from .car import car_excluded, car_fallback, car_results
from .context import Context, build_context, check_terms, fault_excluded
from .contract import contract_excluded, contract_fallback, contract_results
from .goods import goods_excluded, goods_fallback, goods_results
from .start import applicable_terms
from .types import CAR_REGIMES, Evaluation, Fault, Period, Repair, RuleResult, Terms, UnitFacts

WorkingDay = Callable[[date], bool]

_RULES = {
    "car": (car_excluded, car_results, car_fallback),
    "consumer_goods": (goods_excluded, goods_results, goods_fallback),
    "contract": (contract_excluded, contract_results, contract_fallback),
}


def start_date(terms: Terms, facts: UnitFacts) -> date:
    """The day the periods start from (not itself counted), under the regime that applies to the unit."""
    check_terms(terms)
    return applicable_terms(terms, facts)[1]


def compute_periods(
    terms: Terms,
    facts: UnitFacts,
    *,
    on: date,
    usage: int | None,
    history: tuple[Repair, ...] = (),
    component: str = "",
    is_working_day: WorkingDay | None = None,
    zone: tzinfo | None = None,
) -> dict[str, Period]:
    """Every period of the unit on ``on``; with ``component`` only that component's own period is listed.

    ``zone``: the business zone the dates of aware datetimes are taken in (None: each one's own offset)."""
    ctx = build_context(
        terms,
        facts,
        day=on,
        usage=usage,
        history=history,
        fault=Fault(),
        component=component,
        is_working_day=is_working_day,
        zone=zone,
    )
    return ctx.periods


def _results(ctx: Context) -> tuple[RuleResult, ...]:
    excluded, rules, fallback = _RULES["car" if ctx.regime in CAR_REGIMES else ctx.regime]
    # An excluded cause stops every other rule.
    if fault_excluded(ctx.terms, ctx.fault):
        return (excluded(ctx),)
    return tuple(rules(ctx)) or (fallback(ctx),)


def evaluate(
    terms: Terms,
    facts: UnitFacts,
    *,
    claim_date: date,
    usage: int | None,
    fault: Fault,
    history: tuple[Repair, ...] = (),
    is_working_day: WorkingDay | None = None,
    zone: tzinfo | None = None,
) -> Evaluation:
    """What the consumer has a right to for ``fault`` on ``claim_date`` at ``usage``, strongest right first.

    ``history`` holds earlier repairs (completed or still open), never the current one, which ``fault``
    describes with ``handed_in_at``. ``zone`` is the business zone (the policy's) that dates of aware
    datetimes are taken in: the hand-in day, the days repairs began on.
    """
    ctx = build_context(
        terms,
        facts,
        day=claim_date,
        usage=usage,
        history=history,
        fault=fault,
        component=None,
        is_working_day=is_working_day,
        zone=zone,
    )
    return Evaluation(
        regime=ctx.regime,
        start_date=ctx.start,
        start_event=ctx.start_event,
        periods=ctx.periods,
        repair_days_total=ctx.repair_days_total,
        results=_results(ctx),
        days_since_hand_in=ctx.days_since_hand_in,
        # Only a goods refund depends on its date (depreciation); the other regimes do not use it.
        refund_date=ctx.refund_date if ctx.regime == "consumer_goods" else None,
    )
