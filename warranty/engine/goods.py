"""Consumer-goods rules (catalogue goods 1995, phones 2001, microcomputers 2002): rule ids G-…, strongest first."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from .common import own_component_result, whole_unit_result
from .context import Context
from .explain import cause_text, day, limit_text, money, percent, period_label, to_fen
from .types import (
    CHARGE_DEPRECIATION,
    CHARGE_NONE,
    CHARGE_NOT_APPLICABLE,
    EXCHANGE,
    FREE_REPAIR,
    PAID_REPAIR,
    REFUND,
    SUBSTITUTE,
    Period,
    RuleResult,
)


def depreciation(ctx: Context) -> tuple[Decimal | None, str]:
    """Price × daily rate × (days from the invoice to the refund − days in repair and waiting for parts).

    The refund is made on ``fault.refund_date`` when the claim gives it, else on the claim date."""
    rate = Decimal(str(ctx.params["depreciation_daily_rate"]))
    owned = (ctx.refund_date - ctx.start).days
    used = max(owned - ctx.occupied_days, 0)
    if ctx.facts.price is None:
        return None, _("On a refund, depreciation of %(rate)s %% per day of use applies; the price is unknown.") % {
            "rate": percent(rate)
        }
    amount = to_fen(Decimal(ctx.facts.price) * rate * used)
    return amount, _(
        "On a refund, depreciation of %(amount)s yuan is deducted (%(price)s × %(rate)s %% × %(used)s days of use: "
        "%(owned)s days owned less %(occupied)s days in repair)."
    ) % {
        "amount": money(amount),
        "price": money(Decimal(ctx.facts.price)),
        "rate": percent(rate),
        "used": used,
        "owned": owned,
        "occupied": ctx.occupied_days,
    }


def _window_text(ctx: Context, days: int) -> str:
    return _("The claim on %(claim)s is within %(days)s days of %(start)s and the unit has a performance fault.") % {
        "claim": day(ctx.claim_date),
        "days": days,
        "start": day(ctx.start),
    }


def _g9(ctx: Context) -> RuleResult | None:
    if not ctx.periods["return_window"].active:
        return None
    text = (
        _window_text(ctx, ctx.params["refund_days"]) + " " + _("You may choose a refund, an exchange or a free repair.")
    )
    return RuleResult("G-9", (REFUND, EXCHANGE, FREE_REPAIR), CHARGE_NONE, None, text)


def _g10(ctx: Context) -> RuleResult | None:
    # 7 < d ≤ 15: inside the refund window G-9 already gives more.
    if ctx.periods["return_window"].active or not ctx.periods["exchange_window"].active:
        return None
    text = _window_text(ctx, ctx.params["exchange_days"]) + " " + _("You may choose an exchange or a free repair.")
    return RuleResult("G-10", (EXCHANGE, FREE_REPAIR), CHARGE_NONE, None, text)


def _repair_count(ctx: Context) -> int:
    if ctx.params["repair_count_scope"] == "same_problem":
        code = ctx.fault.problem_code
        return sum(1 for repair in ctx.repairs if code and repair.problem_code == code)
    return len(ctx.repairs)


def _g11(ctx: Context) -> RuleResult | None:
    count = _repair_count(ctx)
    if not ctx.periods["whole_unit"].active or count < ctx.params["exchange_after_repairs"]:
        return None
    if not ctx.fault.still_unusable:
        return None
    reason = _(
        "The unit was repaired %(count)s times within the 三包有效期 and still does not work normally: you may "
        "choose an exchange or a refund."
    ) % {"count": count}
    # Depreciation only when the consumer declines an available exchange of the same model.
    if not ctx.facts.same_model_available:
        text = reason + " " + _("No unit of the same model is available, so a refund is made without depreciation.")
        return RuleResult("G-11", (EXCHANGE, REFUND), CHARGE_NONE, None, text)
    amount, fee_text = depreciation(ctx)
    return RuleResult("G-11", (EXCHANGE, REFUND), CHARGE_DEPRECIATION, amount, f"{reason} {fee_text}")


def governing_period(ctx: Context) -> Period:
    """A component with its own period follows it (longer main parts, shorter batteries); else the whole unit."""
    return ctx.own_period() or ctx.periods["whole_unit"]


def _in_current_repair(ctx: Context, limit: int | None) -> bool:
    """The unit handed in under 三包 has been unrepaired for more than ``limit`` days.

    "自送修之日起超过 N 日" is counted in calendar days (Arts 201, 203): the hand-in day is not counted and
    day N runs to 24:00, so the right arises on day N + 1 whatever the hour of the hand-in. (Repair time
    in 24 h days is the measure of the car rules and of the goods period extension, not of these rules.)"""
    since = ctx.days_since_hand_in
    if limit is None or since is None or since <= limit:
        return False
    return ctx.covers(governing_period(ctx), ctx.local_date(ctx.fault.handed_in_at))


def _current_text(ctx: Context) -> dict:
    return {"since": ctx.local_text(ctx.fault.handed_in_at), "days": ctx.days_since_hand_in}


def _g12a(ctx: Context) -> RuleResult | None:
    limit = ctx.params["parts_wait_days"]
    if ctx.fault.parts_wait_party != "producer" or not _in_current_repair(ctx, limit):
        return None
    text = _(
        "The unit has waited %(days)s days since %(since)s, more than %(limit)s days, because the producer supplied "
        "no parts: it is exchanged free of charge."
    ) % {**_current_text(ctx), "limit": limit}
    return RuleResult("G-12a", (EXCHANGE,), CHARGE_NONE, None, text)


def _g12b(ctx: Context) -> RuleResult | None:
    limit = ctx.params["repairer_delay_days"]
    if ctx.fault.parts_wait_party != "repairer" or not _in_current_repair(ctx, limit):
        return None
    text = _(
        "The repair has taken %(days)s days since %(since)s, more than %(limit)s days, through the repairer's own "
        "fault: the repairer exchanges the unit at its own cost."
    ) % {**_current_text(ctx), "limit": limit}
    return RuleResult("G-12b", (EXCHANGE,), CHARGE_NONE, None, text)


def _g_main(ctx: Context) -> RuleResult | None:
    return own_component_result(ctx, "G-MAIN")


def _g_free(ctx: Context) -> RuleResult | None:
    return whole_unit_result(
        ctx, "G-FREE", _("The claim on %(claim)s is within the whole-unit 三包有效期 (%(limit)s): the repair is free.")
    )


def _g_bk(ctx: Context) -> RuleResult | None:
    limit = ctx.params["loaner_after_days"]
    if not _in_current_repair(ctx, limit):
        return None
    text = _(
        "The unit has been in repair for %(days)s days since %(since)s, more than %(limit)s days: a loaner unit is "
        "due until the repair is done."
    ) % {**_current_text(ctx), "limit": limit}
    return RuleResult("G-BK", (SUBSTITUTE,), CHARGE_NONE, None, text)


def goods_results(ctx: Context) -> list[RuleResult]:
    """Refund/exchange first, then free part replacement, free repair, loaner."""
    rules = (_g9, _g10, _g11, _g12a, _g12b, _g_main, _g_free, _g_bk)
    return [result for rule in rules if (result := rule(ctx)) is not None]


def goods_excluded(ctx: Context) -> RuleResult:
    text = _("The cause (%(problem)s) is excluded from 三包, so the repair is paid.") % {
        "problem": cause_text(ctx.fault.exclusion, ctx.fault.problem_code, _("not a performance fault"))
    }
    return RuleResult("G-X", (PAID_REPAIR,), CHARGE_NOT_APPLICABLE, None, text)


def goods_fallback(ctx: Context) -> RuleResult:
    period = governing_period(ctx)
    text = _("No free service applies on %(claim)s: %(period)s runs to %(limit)s. The repair is paid.") % {
        "claim": day(ctx.claim_date),
        "period": period_label(period),
        "limit": limit_text(period),
    }
    return RuleResult("G-OUT", (PAID_REPAIR,), CHARGE_NOT_APPLICABLE, None, text)
