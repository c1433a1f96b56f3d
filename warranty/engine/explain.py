"""Small helpers that turn numbers into the words of an explanation, and money rounding."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .types import Period

# Car Art 23 failure codes as a customer hears them.
FAILURE_LABELS = {
    "steering": gettext_lazy("steering system failure"),
    "brakes": gettext_lazy("brake system failure"),
    "body_cracking": gettext_lazy("body cracking"),
    "fuel_leak": gettext_lazy("fuel leak"),
    "battery_fire": gettext_lazy("power battery fire"),
}


def failures_text(codes) -> str:
    return ", ".join(str(FAILURE_LABELS.get(code, code)) for code in codes)


# Exclusion codes (types.EXCLUSIONS) as the service desk reads them to the customer.
EXCLUSION_LABELS = {
    "misuse": gettext_lazy("use, maintenance or storage not as instructed"),
    "unauthorised_disassembly": gettext_lazy("disassembly or repair by someone other than the authorised repairer"),
    "no_certificate_or_invoice": gettext_lazy("no 三包凭证 and no valid invoice"),
    "altered_certificate": gettext_lazy("the 三包凭证 does not match the product or has been altered"),
    "force_majeure": gettext_lazy("force majeure"),
    "disclosed_defect": gettext_lazy("a defect disclosed in writing before the sale"),
    "against_manual": gettext_lazy("use, installation or maintenance against the manual"),
    "prohibited_modification": gettext_lazy("modification, adjustment or disassembly the manual prohibits"),
    "improper_handling": gettext_lazy("the consumer's improper handling of a quality problem"),
    "human_damage": gettext_lazy("damage caused by people"),
    "non_maker_parts": gettext_lazy("parts not supplied by the maker"),
    "own_transport_or_storage": gettext_lazy("the customer's own transport or storage"),
    "site_environment": gettext_lazy("an unsuitable site environment"),
    "consumable": gettext_lazy("a consumable"),
    "software": gettext_lazy("a virus or an operating-system problem"),
}


def cause_text(exclusion: str, problem_code: str, default: str) -> str:
    """The excluded cause an explanation names: the exclusion (with the problem code), else the code."""
    if exclusion:
        label = str(EXCLUSION_LABELS.get(exclusion, exclusion))
        return (
            _("%(exclusion)s, %(problem)s") % {"exclusion": label, "problem": problem_code} if problem_code else label
        )
    return problem_code or default


FEN = Decimal("0.01")


def to_fen(amount: Decimal) -> Decimal:
    """Round yuan half-up to the fen (0.005 → 0.01), as money is rounded on a receipt."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def number(value: int | None) -> str:
    return _("unknown") if value is None else f"{value:,}"


def percent(rate: Decimal) -> str:
    """0.005 → "0.5"; the sentence supplies the % sign."""
    return f"{(Decimal(rate) * 100).normalize():f}"


def day(value: date) -> str:
    return value.isoformat()


def limit_text(period: Period, unit: str = "") -> str:
    """The last day and the usage limit ("2025-03-01 / 50,000 km"), or just the day without a limit."""
    if period.usage_limit is None:
        return day(period.end)
    suffix = f" {unit}" if unit else ""
    return f"{day(period.end)} / {number(period.usage_limit)}{suffix}"


def period_label(period: Period) -> str:
    labels = {
        "repair_period": _("the 包修期"),
        "sanbao_period": _("the 三包有效期"),
        "whole_unit": _("the whole-unit warranty"),
        "return_window": _("the refund window"),
        "exchange_window": _("the exchange window"),
        "early_window": _("the early window"),
    }
    if period.name.startswith("component:"):
        return _("the warranty of %(code)s") % {"code": period.name.removeprefix("component:")}
    return labels.get(period.name, period.name)
