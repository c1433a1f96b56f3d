"""Contract warranty rules (B2B equipment, systems, projects): rule ids K-…, strongest first."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .common import own_component_result, whole_unit_result
from .context import Context
from .explain import cause_text, day, limit_text, period_label
from .types import (
    CHARGE_NONE,
    CHARGE_NOT_APPLICABLE,
    EXCHANGE,
    PAID_REPAIR,
    Period,
    RuleResult,
)


def governing_period(ctx: Context) -> Period:
    return ctx.own_period() or ctx.periods["whole_unit"]


def _trailing_same_fault(ctx: Context) -> int:
    """How many of the latest repairs in a row were of the fault claimed now ("N consecutive times")."""
    code = ctx.fault.problem_code
    run = 0
    for repair in reversed(ctx.repairs):
        if not code or repair.problem_code != code:
            break
        run += 1
    return run


def _k_repeat(ctx: Context) -> RuleResult | None:
    limit = ctx.params["repeat_repairs"]
    run = _trailing_same_fault(ctx)
    if run < limit or not governing_period(ctx).active:
        return None
    text = _(
        "The fault %(problem)s was repaired %(count)s times in a row and is failing again: the unit is exchanged "
        "for one of the same brand and model."
    ) % {"problem": ctx.fault.problem_code, "count": run}
    return RuleResult("K-REPEAT", (EXCHANGE,), CHARGE_NONE, None, text)


def _k_comp(ctx: Context) -> RuleResult | None:
    return own_component_result(ctx, "K-COMP")


def _k_free(ctx: Context) -> RuleResult | None:
    return whole_unit_result(
        ctx, "K-FREE", _("The claim on %(claim)s is within the whole-unit warranty (%(limit)s): the repair is free.")
    )


def contract_results(ctx: Context) -> list[RuleResult]:
    rules = (_k_repeat, _k_comp, _k_free)
    return [result for rule in rules if (result := rule(ctx)) is not None]


def contract_excluded(ctx: Context) -> RuleResult:
    text = _("The cause (%(problem)s) is excluded by the contract, so the service is paid.") % {
        "problem": cause_text(ctx.fault.exclusion, ctx.fault.problem_code, _("not a quality problem"))
    }
    return RuleResult("K-X", (PAID_REPAIR,), CHARGE_NOT_APPLICABLE, None, text)


def contract_fallback(ctx: Context) -> RuleResult:
    period = governing_period(ctx)
    text = _(
        "No free service applies on %(claim)s: %(period)s runs to %(limit)s. The service is paid at the contract "
        "prices."
    ) % {"claim": day(ctx.claim_date), "period": period_label(period), "limit": limit_text(period)}
    return RuleResult("K-OUT", (PAID_REPAIR,), CHARGE_NOT_APPLICABLE, None, text)
