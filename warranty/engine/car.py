"""Household-car rules: car_2021 (rule ids CAR-…) and car_2013 (CAR13-…), strongest first."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from .context import Context
from .explain import cause_text, day, failures_text, limit_text, money, number, percent, period_label, to_fen
from .presets import CAR_ASSEMBLIES, CAR_EARLY_FAILURES, CAR_MAIN_PART_SYSTEMS
from .types import (
    CHARGE_NONE,
    CHARGE_NOT_APPLICABLE,
    CHARGE_USAGE_FEE,
    EXCHANGE,
    FREE_ASSEMBLY_REPLACEMENT,
    FREE_REPAIR,
    PAID_REPAIR,
    REFUND,
    SUBSTITUTE,
    Period,
    RuleResult,
)


def _rule(ctx: Context, suffix: str) -> str:
    return ("CAR-" if ctx.regime == "car_2021" else "CAR13-") + suffix


def usage_fee(ctx: Context) -> tuple[Decimal | None, str]:
    """Art 27: price × km / 1000 × n, rounded half-up to the fen; None while the price or reading is unknown."""
    rate = Decimal(str(ctx.params["usage_fee_rate"]))
    km = ctx.usage if ctx.options["odometer_for_fee"] == "reported" else ctx.fault.return_usage
    if ctx.facts.price is None or km is None:
        return None, _(
            "The usage fee (price × km / 1000 × %(rate)s %%) cannot be computed yet: the price or the odometer "
            "reading is missing."
        ) % {"rate": percent(rate)}
    amount = to_fen(Decimal(ctx.facts.price) * km / 1000 * rate)
    return amount, _("A usage fee of %(amount)s yuan applies (%(price)s × %(km)s km / 1000 × %(rate)s %%).") % {
        "amount": money(amount),
        "price": money(Decimal(ctx.facts.price)),
        "km": number(km),
        "rate": percent(rate),
    }


def _refund_or_exchange(ctx: Context, suffix: str, reason: str, *, exchange_only: bool = False) -> RuleResult:
    """A CAR-24-* result; under car_2013 the repair-time and repeat-repair rules give an exchange only."""
    if exchange_only and not ctx.facts.replacement_car_available:
        options, choice = (REFUND,), _("No replacement car of the same model exists, so you may ask for a refund.")
    elif exchange_only:
        options, choice = (EXCHANGE,), _("You may ask for an exchange.")
    else:
        options, choice = (REFUND, EXCHANGE), _("You may choose a refund or an exchange.")
    amount, fee_text = usage_fee(ctx)
    return RuleResult(_rule(ctx, suffix), options, CHARGE_USAGE_FEE, amount, f"{reason} {choice} {fee_text}")


def _art22(ctx: Context) -> RuleResult | None:
    window = ctx.periods.get("return_window")
    if window is None or not window.active or not ctx.fault.needs_assembly_replacement:
        return None
    text = _(
        "The claim on %(claim)s is within %(days)s days of %(start)s and the fault needs an assembly or one of its "
        "main parts replaced: you may choose a refund or an exchange free of charge."
    ) % {"claim": day(ctx.claim_date), "days": ctx.params["refund_days"], "start": day(ctx.start)}
    return RuleResult(_rule(ctx, "22"), (REFUND, EXCHANGE), CHARGE_NONE, None, text)


def _early_text(ctx: Context) -> dict:
    return {
        "claim": day(ctx.claim_date),
        "usage": number(ctx.usage),
        "days": ctx.params["early_days"],
        "km": number(ctx.params["early_usage"]),
        "start": day(ctx.start),
    }


def _art23(ctx: Context) -> RuleResult | None:
    failures = [kind for kind in ctx.fault.failure_types if kind in CAR_EARLY_FAILURES[ctx.regime]]
    if not failures or not ctx.periods["early_window"].active:
        return None
    text = _(
        "The claim on %(claim)s at %(usage)s km is within %(days)s days and %(km)s km of %(start)s and the car has "
        "a failure (%(failures)s): you may choose a refund or an exchange free of charge."
    ) % {**_early_text(ctx), "failures": failures_text(failures)}
    return RuleResult(_rule(ctx, "23"), (REFUND, EXCHANGE), CHARGE_NONE, None, text)


def _art24_1(ctx: Context) -> RuleResult | None:
    count = sum(1 for repair in ctx.repairs if repair.serious_safety)
    persists = ctx.fault.serious_fault_persists or ctx.fault.serious_safety
    if count < ctx.params["serious_safety_repairs"] or not persists:
        return None
    reason = _(
        "The car was repaired %(count)s times for serious safety faults within the 三包有效期 and the fault persists "
        "or a new one appeared."
    ) % {"count": count}
    return _refund_or_exchange(ctx, "24-1", reason)


def _art24_2(ctx: Context) -> RuleResult | None:
    assemblies = CAR_ASSEMBLIES[ctx.regime]
    counts = Counter(
        system
        for repair in ctx.repairs
        for code in repair.assemblies_replaced
        if (system := ctx.system_of(code)) in assemblies
    )
    if not counts or not ctx.fault.still_unusable:
        return None
    if ctx.options["car_24_2_counting"] == "all":
        count, what = sum(counts.values()), _("the assemblies together")
    else:
        what, count = counts.most_common(1)[0]
    if count < ctx.params["same_assembly_replacements"]:
        return None
    reason = _("The %(assembly)s was replaced %(count)s times and the car still cannot be used normally.") % {
        "assembly": what,
        "count": count,
    }
    return _refund_or_exchange(ctx, "24-2", reason)


def _art24_3(ctx: Context) -> RuleResult | None:
    systems = CAR_MAIN_PART_SYSTEMS[ctx.regime]
    # Only main parts: assembly swaps are counted by Art 24(2), never here.
    counts = Counter(pair for repair in ctx.repairs for pair in repair.main_parts_replaced if pair[0] in systems)
    if not counts or not ctx.fault.still_unusable:
        return None
    (system, part), count = counts.most_common(1)[0]
    if count < ctx.params["same_main_part_replacements"]:
        return None
    reason = _(
        "The main part %(part)s of the %(system)s system was replaced %(count)s times and the car still cannot be "
        "used normally."
    ) % {"part": part, "system": system, "count": count}
    return _refund_or_exchange(ctx, "24-3", reason)


def _art24_4a(ctx: Context) -> RuleResult | None:
    limit = ctx.params["cumulative_repair_days"]
    if ctx.repair_days_total <= limit:
        return None
    reason = _("Repairs within the 三包有效期 took %(days)s days in total, more than %(limit)s days.") % {
        "days": ctx.repair_days_total,
        "limit": limit,
    }
    return _refund_or_exchange(ctx, "24-4a", reason, exchange_only=ctx.regime == "car_2013")


def _art24_4b(ctx: Context) -> RuleResult | None:
    limit = ctx.params["same_problem_repairs"]
    counts = Counter(repair.problem_code for repair in ctx.repairs if repair.problem_code)
    if not counts:
        return None
    problem, count = counts.most_common(1)[0]
    if count <= limit:
        return None
    reason = _("The problem %(problem)s was repaired %(count)s times, more than %(limit)s times.") % {
        "problem": problem,
        "count": count,
        "limit": limit,
    }
    return _refund_or_exchange(ctx, "24-4b", reason, exchange_only=ctx.regime == "car_2013")


def _art20(ctx: Context) -> RuleResult | None:
    fault = ctx.fault
    # A named component must be one of the regime's assemblies (car_2013: engine and transmission only).
    on_assembly = not fault.component or ctx.system_of(fault.component) in CAR_ASSEMBLIES[ctx.regime]
    if not (fault.assembly_main_part_defect and on_assembly and ctx.periods["early_window"].active):
        return None
    text = _(
        "The claim on %(claim)s at %(usage)s km is within %(days)s days and %(km)s km of %(start)s and a main part "
        "of an assembly is defective: the assembly is replaced free of charge."
    ) % _early_text(ctx)
    return RuleResult(_rule(ctx, "20"), (FREE_ASSEMBLY_REPLACEMENT,), CHARGE_NONE, None, text)


def governing_period(ctx: Context) -> Period:
    """A component with its own period (a wear part, or a longer promise) follows it; else the 包修期."""
    return ctx.own_period() or ctx.periods["repair_period"]


def _art19(ctx: Context) -> RuleResult | None:
    period = governing_period(ctx)
    if not period.active:
        return None
    text = _("The claim on %(claim)s at %(usage)s km is within %(period)s (%(limit)s): the repair is free.") % {
        "claim": day(ctx.claim_date),
        "usage": number(ctx.usage),
        "period": period_label(period),
        "limit": limit_text(period, "km"),
    }
    return RuleResult(_rule(ctx, "19"), (FREE_REPAIR,), CHARGE_NONE, None, text)


def _art21(ctx: Context) -> RuleResult | None:
    limit = ctx.params["substitute_after_days"]
    handed_in = ctx.fault.handed_in_at
    if ctx.current_days is None or ctx.current_days <= limit:
        return None
    if not ctx.covers(governing_period(ctx), ctx.local_date(handed_in)):
        return None
    text = _(
        "The car has been in this repair since %(since)s, %(days)s days so far: a substitute car (or travel "
        "compensation) is due from day %(day)s, that is from %(from)s."
    ) % {
        "since": ctx.local_text(handed_in),
        "days": ctx.current_days,
        "day": limit + 1,
        "from": ctx.local_text(handed_in + timedelta(days=limit)),
    }
    return RuleResult(_rule(ctx, "21"), (SUBSTITUTE,), CHARGE_NONE, None, text)


def car_results(ctx: Context) -> list[RuleResult]:
    """Every rule that fires: refund/exchange, then free replacement, free repair, substitute."""
    sanbao_rules = (_art24_1, _art24_2, _art24_3, _art24_4a, _art24_4b) if ctx.periods["sanbao_period"].active else ()
    rules = (_art22, _art23, *sanbao_rules, _art20, _art19, _art21)
    return [result for rule in rules if (result := rule(ctx)) is not None]


def car_excluded(ctx: Context) -> RuleResult:
    text = _(
        "The cause (%(problem)s) is not a quality problem covered by 三包, so no 三包 right applies and the repair is "
        "paid."
    ) % {"problem": cause_text(ctx.fault.exclusion, ctx.fault.problem_code, _("not a quality problem"))}
    return RuleResult(_rule(ctx, "X32"), (PAID_REPAIR,), CHARGE_NOT_APPLICABLE, None, text)


def car_fallback(ctx: Context) -> RuleResult:
    period = governing_period(ctx)
    text = _(
        "No free service applies on %(claim)s at %(usage)s km: %(period)s runs to %(limit)s. The repair is paid."
    ) % {
        "claim": day(ctx.claim_date),
        "usage": number(ctx.usage),
        "period": period_label(period),
        "limit": limit_text(period, "km"),
    }
    return RuleResult(_rule(ctx, "OUT"), (PAID_REPAIR,), CHARGE_NOT_APPLICABLE, None, text)
