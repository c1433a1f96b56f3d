"""The periods of a unit: their start, inclusive last day (after extensions), usage limit and state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django.utils.translation import gettext as _

from .dates import add_months, extend_to_working_day, window_end
from .types import CAR_REGIMES, ComponentTerm, EngineError, Period, Terms


def own_months(terms: Terms, comp: ComponentTerm) -> int | None:
    """Months of a component's own period: its own, or the whole unit's when it only has its own usage limit
    (a wear part "包修期 or 10,000 km"); None when it has neither and simply follows the whole unit."""
    if comp.months is not None:
        return comp.months
    return terms.whole_unit_months if comp.usage_limit is not None else None


def extend_by_repairs(end: date, spans: list[tuple[date, int]]) -> date:
    """Add the days of every repair that began while the period was still running.

    Oldest first, so a repair that only falls inside the period thanks to an earlier extension counts too.
    """
    for begun, days in sorted(spans):
        if begun <= end:
            end += timedelta(days=days)
    return end


def _raw_periods(
    terms: Terms, params: dict, start: date, spans: list[tuple[date, int]], component: str | None
) -> list[tuple[str, date, int | None]]:
    """(name, last day, usage limit) before the holiday extension."""
    regime = terms.regime
    # Goods: the 三包有效期 runs from the invoice plus days in repair and waiting for parts.
    extend = regime == "consumer_goods" or (regime == "contract" and params["extend_by_repair_days"])

    def unit_end(months: int) -> date:
        end = add_months(start, months)
        return extend_by_repairs(end, spans) if extend else end

    raw: list[tuple[str, date, int | None]] = []
    if regime in CAR_REGIMES:
        raw.append(("repair_period", unit_end(terms.whole_unit_months), terms.whole_unit_usage))
        raw.append(("sanbao_period", unit_end(terms.sanbao_months), terms.sanbao_usage))
        if regime == "car_2021":
            raw.append(("return_window", window_end(start, params["refund_days"]), None))
        raw.append(("early_window", window_end(start, params["early_days"]), params["early_usage"]))
    else:
        raw.append(("whole_unit", unit_end(terms.whole_unit_months), terms.whole_unit_usage))
        if regime == "consumer_goods":
            raw.append(("return_window", window_end(start, params["refund_days"]), None))
            raw.append(("exchange_window", window_end(start, params["exchange_days"]), None))
    for comp in terms.components:
        months = own_months(terms, comp)
        if months is not None and component in (None, "", comp.code):
            raw.append((f"component:{comp.code}", unit_end(months), comp.usage_limit))
    return raw


def build_periods(
    terms: Terms,
    params: dict,
    options: dict,
    *,
    start: date,
    day: date,
    usage: int | None,
    spans: list[tuple[date, int]],
    component: str | None,
    is_working_day: Callable[[date], bool] | None,
) -> dict[str, Period]:
    """``component`` None or "" gives every component's own period; a code gives only that one."""
    holidays = options["holiday_extension"]
    if holidays and is_working_day is None:
        raise EngineError(
            "calendar_required",
            _("The holiday extension needs a working-day calendar."),
            field="is_working_day",
        )
    periods: dict[str, Period] = {}
    for name, end, limit in _raw_periods(terms, params, start, spans, component):
        if holidays:
            end = extend_to_working_day(end, is_working_day)
        if limit is not None and usage is None:
            raise EngineError(
                "usage_required",
                _("%(period)s has a usage limit, so the usage reading is needed.") % {"period": name},
                field="usage",
            )
        active = start <= day <= end and (limit is None or usage <= limit)
        periods[name] = Period(name=name, start=start, end=end, usage_limit=limit, active=active)
    return periods
