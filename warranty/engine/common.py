"""Rules that goods and contract warranties share: a component's own period, and the whole-unit period."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .context import Context
from .explain import day, limit_text, period_label
from .types import CHARGE_NONE, FREE_PART_REPLACEMENT, FREE_REPAIR, RuleResult


def own_component_result(ctx: Context, rule: str) -> RuleResult | None:
    """G-MAIN / K-COMP: the failed component is within its own (longer) period."""
    period = ctx.own_period()
    if period is None or not period.active:
        return None
    text = _("The claim on %(claim)s is within %(period)s (%(limit)s): the part is repaired or replaced free.") % {
        "claim": day(ctx.claim_date),
        "period": period_label(period),
        "limit": limit_text(period),
    }
    return RuleResult(rule, (FREE_REPAIR, FREE_PART_REPLACEMENT), CHARGE_NONE, None, text)


def whole_unit_result(ctx: Context, rule: str, message: str) -> RuleResult | None:
    """G-FREE / K-FREE: within the whole-unit period, unless the failed part's own shorter period is over
    (a battery, a lamp, a consumable)."""
    whole = ctx.periods["whole_unit"]
    own = ctx.own_period()
    if not whole.active or (own is not None and not own.active):
        return None
    text = message % {"claim": day(ctx.claim_date), "limit": limit_text(whole)}
    return RuleResult(rule, (FREE_REPAIR,), CHARGE_NONE, None, text)
