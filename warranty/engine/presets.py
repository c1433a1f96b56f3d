"""Regime defaults (the statutory numbers of sanbao.md) and the named presets.

Parameter semantics, following the wording of the rules:
- ``serious_safety_repairs``, ``same_assembly_replacements``, ``same_main_part_replacements``,
  ``exchange_after_repairs``, ``repeat_repairs`` are "at least N" counts (N repairs fire the rule);
- ``cumulative_repair_days``, ``same_problem_repairs``, ``substitute_after_days``, ``parts_wait_days``,
  ``repairer_delay_days``, ``loaner_after_days`` are "more than N" thresholds (N + 1 fires the rule).
"""

from __future__ import annotations

import copy
from decimal import Decimal

from django.utils.translation import gettext as _

from .types import ComponentTerm, EngineError, Terms

_CAR_COMMON = {
    "early_days": 60,
    "early_usage": 3000,
    "serious_safety_repairs": 2,
    "same_assembly_replacements": 2,
    "same_main_part_replacements": 2,
    "substitute_after_days": 5,
    "usage_fee_rate": Decimal("0.005"),
}

REGIME_PARAMS: dict[str, dict] = {
    "car_2021": {**_CAR_COMMON, "refund_days": 7, "cumulative_repair_days": 30, "same_problem_repairs": 4},
    # car_2013 has no 7-day refund rule (no CAR-22), hence no refund_days.
    "car_2013": {**_CAR_COMMON, "cumulative_repair_days": 35, "same_problem_repairs": 5},
    "consumer_goods": {
        # Which product rules set the statutory minimums: catalogue (1995), mobile_phone / fixed_phone
        # (2001), microcomputer (2002).
        "product_rules": "catalogue",
        "refund_days": 7,
        "exchange_days": 15,
        "exchange_after_repairs": 2,
        "repair_count_scope": "any",
        "parts_wait_days": 90,
        "repairer_delay_days": 30,
        "loaner_after_days": None,
        "depreciation_daily_rate": Decimal("0.001"),
    },
    # extend_by_repair_days: whether days in repair lengthen the contract periods (domain.md §2 "clock
    # adjustments"); off unless the contract says so.
    "contract": {"repeat_repairs": 3, "extend_by_repair_days": False},
}

# Parameters whose value is a word, with the words allowed.
PARAM_CHOICES = {
    "product_rules": ("catalogue", "mobile_phone", "fixed_phone", "microcomputer"),
    "repair_count_scope": ("any", "same_problem"),
}
BOOL_PARAMS = ("extend_by_repair_days",)
DECIMAL_PARAMS = ("usage_fee_rate", "depreciation_daily_rate")
OPTIONAL_PARAMS = ("loaner_after_days",)

OPTION_DEFAULTS = {
    "odometer_for_fee": "reported",
    "car_24_2_counting": "per_assembly",
    "net_repair_time": "subtract_then_round",
    "holiday_extension": False,
    "regime_by_start_date": True,
    # Added: whether Repair.parts_wait_hours lie inside the repair interval ("included", the usual repair
    # order) or were spent before it and must be added to the goods period extension ("added").
    "goods_parts_wait": "included",
}
OPTION_CHOICES: dict[str, tuple] = {
    "odometer_for_fee": ("reported", "return"),
    "car_24_2_counting": ("per_assembly", "all"),
    "net_repair_time": ("subtract_then_round", "round_then_subtract"),
    "holiday_extension": (False, True),
    "regime_by_start_date": (True, False),
    "goods_parts_wait": ("included", "added"),
}

# Assemblies (Art 24(2)) and main-part systems (Art 24(3)) per car regime.
CAR_ASSEMBLIES = {
    "car_2021": ("engine", "transmission", "power_battery", "drive_motor"),
    "car_2013": ("engine", "transmission"),
}
CAR_MAIN_PART_SYSTEMS = {
    "car_2021": (
        "engine",
        "transmission",
        "power_battery",
        "drive_motor",
        "steering",
        "brake",
        "suspension",
        "driveline",
        "emission",
        "body",
    ),
    "car_2013": ("engine", "transmission", "steering", "brake", "suspension", "axle", "body"),
}
CAR_EARLY_FAILURES = {
    "car_2021": ("steering", "brakes", "body_cracking", "fuel_leak", "battery_fire"),
    "car_2013": ("steering", "brakes", "body_cracking", "fuel_leak"),
}

# The car regimes switch at this start date (interpretation option 5).
CAR_2021_IN_FORCE = (2022, 1, 1)


def resolved_params(terms: Terms, regime: str | None = None) -> dict:
    """The regime defaults overlaid with the terms' own parameters."""
    return {**REGIME_PARAMS[regime or terms.regime], **terms.params}


def resolved_options(terms: Terms) -> dict:
    return {**OPTION_DEFAULTS, **terms.options}


def _car(regime: str) -> Terms:
    return Terms(
        regime=regime,
        start_event="invoice",
        whole_unit_months=36,
        whole_unit_usage=60000,
        sanbao_months=24,
        sanbao_usage=50000,
        components=(
            ComponentTerm("engine", "assembly", system="engine"),
            ComponentTerm("transmission", "assembly", system="transmission"),
        )
        + (
            (
                ComponentTerm("power_battery", "assembly", system="power_battery"),
                ComponentTerm("drive_motor", "assembly", system="drive_motor"),
            )
            if regime == "car_2021"
            else ()
        ),
        params=dict(REGIME_PARAMS[regime]),
        options=dict(OPTION_DEFAULTS),
    )


def _goods(product_rules: str, components: tuple[ComponentTerm, ...], **params) -> Terms:
    return Terms(
        regime="consumer_goods",
        start_event="invoice",
        whole_unit_months=12,
        components=components,
        params={**REGIME_PARAMS["consumer_goods"], "product_rules": product_rules, **params},
        options=dict(OPTION_DEFAULTS),
    )


PRESETS: dict[str, Terms] = {
    "car_2021": _car("car_2021"),
    "car_2013": _car("car_2013"),
    # Reference example (colour TV): main parts 3 years, 0.1 %/day. The catalogue rows are admin data.
    "catalogue_goods": _goods(
        "catalogue",
        (ComponentTerm("picture_tube", "main_part", months=36),),
        depreciation_daily_rate=Decimal("0.001"),
    ),
    "mobile_phone": _goods(
        "mobile_phone",
        (
            ComponentTerm("battery", "special_part", months=6),
            ComponentTerm("charger", "special_part", months=12),
            ComponentTerm("headset", "special_part", months=3),
        ),
        parts_wait_days=60,
        loaner_after_days=7,
        depreciation_daily_rate=Decimal("0.005"),
    ),
    "microcomputer": _goods(
        "microcomputer",
        tuple(
            ComponentTerm(code, "main_part", months=24)
            for code in ("cpu", "motherboard", "memory", "hard_disk", "power_supply", "display")
        ),
        depreciation_daily_rate=Decimal("0.001"),
    ),
    "contract": Terms(
        regime="contract",
        start_event="acceptance",
        whole_unit_months=12,
        params=dict(REGIME_PARAMS["contract"]),
        options=dict(OPTION_DEFAULTS),
    ),
}


def preset(name: str) -> Terms:
    """A fresh copy of a named preset (its dicts may be edited without touching the shared one)."""
    try:
        return copy.deepcopy(PRESETS[name])
    except KeyError:
        raise EngineError("unknown_preset", _("Unknown preset: %(name)s") % {"name": name}, field="name") from None
