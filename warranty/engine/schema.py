"""The declared schema of a policy version's numbers: every period, regime parameter and interpretation option
with its type, unit, label, help text and the statutory bounds of each regime (sanbao.md).

The admin's form fields are generated from it (a field per entry; no other key can be entered), and its
bounds are checked with a message naming the statutory number and the allowed range. The engine's
``validate_terms`` stays the last word on what is lawful; the bounds here are the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .presets import OPTION_CHOICES, OPTION_DEFAULTS, PARAM_CHOICES, REGIME_PARAMS

INT = "int"
DECIMAL = "decimal"
CHOICE = "choice"
BOOL = "bool"

Bound = int | Decimal | None | Callable[[dict], "int | Decimal | None"]


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str
    label: str
    help: str = ""
    unit: str = ""
    # Statutory bounds (a maker may promise more, never less): a value below ``minimum`` or above
    # ``maximum`` is refused. A callable receives the other parameters (the product rules decide some).
    minimum: Bound = None
    maximum: Bound = None
    optional: bool = False  # empty allowed (no usage limit, no loaner rule)
    choices: tuple = ()
    floor: int | Decimal = 0  # never below this, statutory or not
    ref: str = ""

    def bound(self, which: str, values: dict):
        value = getattr(self, which)
        return value(values) if callable(value) else value


@dataclass(frozen=True)
class RegimeSchema:
    periods: tuple[Entry, ...]
    params: tuple[Entry, ...]
    options: tuple[Entry, ...] = field(default=())


DAYS = _("days")
MONTHS = _("months")
KM = _("km")
REPAIRS = _("repairs")
TIMES = _("times")
RATE_PER_1000 = _("share of the price per 1,000 km (0.005 = 0.5 %)")
RATE_PER_DAY = _("share of the price per day (0.001 = 0.1 %)")

CAR_2021_REF = _("household car rules 2021")
CAR_2013_REF = _("household car rules 2013")

PRODUCT_RULES_LABELS = {
    "catalogue": _("catalogue goods (1995 rules)"),
    "mobile_phone": _("mobile phones (2001 rules)"),
    "fixed_phone": _("fixed phones (2001 rules)"),
    "microcomputer": _("microcomputers (2002 rules)"),
}
GOODS_REFS = {
    "catalogue": _("goods 三包 rules 1995"),
    "mobile_phone": _("mobile phone 三包 rules 2001"),
    "fixed_phone": _("fixed phone 三包 rules 2001"),
    "microcomputer": _("microcomputer 三包 rules 2002"),
}
CHOICE_LABELS = {
    "repair_count_scope": {"any": _("repairs of any fault"), "same_problem": _("repairs of the same problem")},
    "odometer_for_fee": {
        "reported": _("the reading when the fault is reported"),
        "return": _("the reading at return"),
    },
    "car_24_2_counting": {"per_assembly": _("per assembly"), "all": _("all assemblies together")},
    "net_repair_time": {
        "subtract_then_round": _("subtract excluded hours, then round up to days"),
        "round_then_subtract": _("round up to days, then subtract excluded hours"),
    },
    "goods_parts_wait": {
        "included": _("inside the repair interval"),
        "added": _("before the repair, added to the period extension"),
    },
    "product_rules": PRODUCT_RULES_LABELS,
}


def _car(regime: str) -> RegimeSchema:
    is_2021 = regime == "car_2021"
    ref = CAR_2021_REF if is_2021 else CAR_2013_REF
    periods = (
        Entry("whole_unit_months", INT, _("包修期 (free repair period)"), unit=MONTHS, minimum=36, ref=ref),
        Entry(
            "whole_unit_usage",
            INT,
            _("包修期 usage limit"),
            _("Empty: no usage limit."),
            unit=KM,
            minimum=60000,
            optional=True,
            ref=ref,
        ),
        Entry("sanbao_months", INT, _("三包有效期 (refund / exchange period)"), unit=MONTHS, minimum=24, ref=ref),
        Entry(
            "sanbao_usage",
            INT,
            _("三包有效期 usage limit"),
            _("Empty: no usage limit."),
            unit=KM,
            minimum=50000,
            optional=True,
            ref=ref,
        ),
    )
    params = (
        *(
            (
                Entry(
                    "refund_days",
                    INT,
                    _("refund or exchange window for an assembly fault"),
                    _("Days from the start in which a fault needing an assembly gives refund or exchange (CAR-22)."),
                    unit=DAYS,
                    minimum=7,
                    ref=ref,
                ),
            )
            if is_2021
            else ()
        ),
        Entry(
            "early_days",
            INT,
            _("early-failure window"),
            _("Days from the start for a free assembly replacement or the early refund (CAR-20, CAR-23)."),
            unit=DAYS,
            minimum=60,
            ref=ref,
        ),
        Entry(
            "early_usage",
            INT,
            _("early-failure usage limit"),
            _("The same rules' limit on the odometer."),
            unit=KM,
            minimum=3000,
            ref=ref,
        ),
        Entry(
            "serious_safety_repairs",
            INT,
            _("serious-safety repairs before refund or exchange"),
            _("Refund or exchange when the fault persists after this many serious-safety repairs (CAR-24-1)."),
            unit=REPAIRS,
            maximum=2,
            floor=1,
            ref=ref,
        ),
        Entry(
            "same_assembly_replacements",
            INT,
            _("replacements of the same assembly"),
            _("Refund or exchange after this many replacements of one assembly (CAR-24-2)."),
            unit=TIMES,
            maximum=2,
            floor=1,
            ref=ref,
        ),
        Entry(
            "same_main_part_replacements",
            INT,
            _("replacements of the same main part"),
            _("Refund or exchange after this many replacements of one main part of a system (CAR-24-3)."),
            unit=TIMES,
            maximum=2,
            floor=1,
            ref=ref,
        ),
        Entry(
            "cumulative_repair_days",
            INT,
            _("cumulative repair days"),
            _("Refund or exchange after more than this many days in repair in the 三包有效期 (CAR-24-4a)."),
            unit=DAYS,
            maximum=30 if is_2021 else 35,
            floor=1,
            ref=ref,
        ),
        Entry(
            "same_problem_repairs",
            INT,
            _("repairs of the same problem"),
            _("Refund or exchange after more than this many repairs of one problem (CAR-24-4b)."),
            unit=REPAIRS,
            maximum=4 if is_2021 else 5,
            floor=1,
            ref=ref,
        ),
        Entry(
            "substitute_after_days",
            INT,
            _("substitute car after"),
            _("A substitute car when one repair takes more than this many days (CAR-21)."),
            unit=DAYS,
            maximum=5,
            ref=ref,
        ),
        Entry(
            "usage_fee_rate",
            DECIMAL,
            _("usage-fee factor n"),
            _("Charged on a refund or exchange: price × km / 1,000 × n."),
            unit=RATE_PER_1000,
            minimum=None if is_2021 else Decimal("0.005"),
            maximum=Decimal("0.005") if is_2021 else Decimal("0.008"),
            ref=ref,
        ),
    )
    options = tuple(
        OPTIONS[key]
        for key in ("odometer_for_fee", "car_24_2_counting", "net_repair_time", "holiday_extension")
        + (("regime_by_start_date",) if is_2021 else ())
    )
    return RegimeSchema(periods=periods, params=params, options=options)


def _loaner_limit(values: dict):
    return {"mobile_phone": 7, "fixed_phone": 3}.get(values.get("product_rules"))


def _phone(limit, other):
    return lambda values: limit if values.get("product_rules") in ("mobile_phone", "fixed_phone") else other


def _goods_ref(values: dict) -> str:
    return str(GOODS_REFS.get(values.get("product_rules"), GOODS_REFS["catalogue"]))


OPTIONS = {
    "odometer_for_fee": Entry(
        "odometer_for_fee",
        CHOICE,
        _("odometer reading for the usage fee"),
        _("Limits are always read when the fault is reported."),
        choices=OPTION_CHOICES["odometer_for_fee"],
    ),
    "car_24_2_counting": Entry(
        "car_24_2_counting",
        CHOICE,
        _("counting assembly replacements"),
        _("CAR-24-2: per assembly, or all assemblies together."),
        choices=OPTION_CHOICES["car_24_2_counting"],
    ),
    "net_repair_time": Entry(
        "net_repair_time",
        CHOICE,
        _("net repair time"),
        _("How excluded hours (transport of special parts, rescue travel) leave a repair's days."),
        choices=OPTION_CHOICES["net_repair_time"],
    ),
    "holiday_extension": Entry(
        "holiday_extension",
        BOOL,
        _("a period ending on a statutory holiday runs to the next working day"),
    ),
    "regime_by_start_date": Entry(
        "regime_by_start_date",
        BOOL,
        _("cars whose period started before 2022-01-01 follow the 2013 rules"),
    ),
    "goods_parts_wait": Entry(
        "goods_parts_wait",
        CHOICE,
        _("hours waiting for parts"),
        _("Whether a repair's parts-wait hours lie inside its interval or are added to the period extension."),
        choices=OPTION_CHOICES["goods_parts_wait"],
    ),
}

SCHEMAS: dict[str, RegimeSchema] = {
    "car_2021": _car("car_2021"),
    "car_2013": _car("car_2013"),
    "consumer_goods": RegimeSchema(
        periods=(
            Entry(
                "whole_unit_months",
                INT,
                _("whole-unit 三包有效期"),
                _("Lengthened by the days in repair and waiting for parts."),
                unit=MONTHS,
                minimum=12,
                ref=_goods_ref,
            ),
        ),
        params=(
            Entry(
                "product_rules",
                CHOICE,
                _("product rules"),
                _("Which 三包 rules set the statutory numbers below."),
                choices=PARAM_CHOICES["product_rules"],
            ),
            Entry(
                "refund_days",
                INT,
                _("refund window"),
                _("Days from the invoice with refund, exchange or repair for a performance fault (G-9)."),
                unit=DAYS,
                minimum=7,
                ref=_goods_ref,
            ),
            Entry(
                "exchange_days",
                INT,
                _("exchange window"),
                _("Days from the invoice with exchange or repair for a performance fault (G-10)."),
                unit=DAYS,
                minimum=15,
                ref=_goods_ref,
            ),
            Entry(
                "exchange_after_repairs",
                INT,
                _("repairs before an exchange"),
                _("Exchange or refund after this many repairs when it still does not work (G-11)."),
                unit=REPAIRS,
                maximum=2,
                floor=1,
                ref=_goods_ref,
            ),
            Entry(
                "repair_count_scope",
                CHOICE,
                _("repairs counted"),
                _("Which repairs count towards the exchange."),
                choices=PARAM_CHOICES["repair_count_scope"],
            ),
            Entry(
                "parts_wait_days",
                INT,
                _("days waiting for producer parts"),
                _("Exchange when a repair waits more than this many days for the producer's parts (G-12a)."),
                unit=DAYS,
                maximum=_phone(60, 90),
                floor=1,
                ref=_goods_ref,
            ),
            Entry(
                "repairer_delay_days",
                INT,
                _("days of the repairer's own delay"),
                _("Exchange when the repairer's own delay exceeds this many days (G-12b)."),
                unit=DAYS,
                maximum=30,
                floor=1,
                ref=_goods_ref,
            ),
            Entry(
                "loaner_after_days",
                INT,
                _("loaner after"),
                _("A loaner when a repair takes more than this many days (G-BK). Empty: no loaner rule."),
                unit=DAYS,
                maximum=_loaner_limit,
                optional=True,
                ref=_goods_ref,
            ),
            Entry(
                "depreciation_daily_rate",
                DECIMAL,
                _("daily depreciation on a refund"),
                _("Deducted from a used unit's refund for each day of use."),
                unit=RATE_PER_DAY,
                maximum=_phone(Decimal("0.005"), None),
                ref=_goods_ref,
            ),
        ),
        options=tuple(OPTIONS[key] for key in ("net_repair_time", "holiday_extension", "goods_parts_wait")),
    ),
    "contract": RegimeSchema(
        periods=(
            Entry("whole_unit_months", INT, _("whole-unit warranty period"), unit=MONTHS, floor=1),
            Entry(
                "whole_unit_usage",
                INT,
                _("whole-unit usage limit"),
                _("Empty: no usage limit."),
                optional=True,
                floor=1,
            ),
        ),
        params=(
            Entry(
                "repeat_repairs",
                INT,
                _("consecutive repairs before an exchange"),
                _("Exchange for the same brand and model after this many repairs of the same fault (K-REPEAT)."),
                unit=REPAIRS,
                floor=1,
            ),
            Entry(
                "extend_by_repair_days",
                BOOL,
                _("days in repair lengthen the periods"),
                _("Only when the contract says so."),
            ),
        ),
        options=(OPTIONS["holiday_extension"],),
    ),
}

# Every parameter of every regime is declared (and nothing else).
assert all({e.key for e in SCHEMAS[r].params} == set(REGIME_PARAMS[r]) for r in REGIME_PARAMS)
assert set(OPTIONS) == set(OPTION_DEFAULTS)


def choice_label(key: str, value) -> str:
    return str(CHOICE_LABELS.get(key, {}).get(value, value))


def entry_ref(entry: Entry, values: dict) -> str:
    return str(entry.ref(values) if callable(entry.ref) else entry.ref)


def bounds_text(entry: Entry, values: dict) -> str:
    """ "at least 12 months" / "0 to 2 repairs": the allowed range, for the help text and the messages."""
    low = entry.bound("minimum", values)
    high = entry.bound("maximum", values)
    low = entry.floor if low is None else low
    unit = str(entry.unit) if entry.kind == INT else ""
    if high is None:
        text = _("%(low)s or more") % {"low": low}
    else:
        text = _("%(low)s to %(high)s") % {"low": low, "high": high}
    return f"{text} {unit}".strip()


def statutory_text(entry: Entry, values: dict) -> str:
    low = entry.bound("minimum", values)
    high = entry.bound("maximum", values)
    ref = entry_ref(entry, values)
    if low is None and high is None:
        return ""
    parts = []
    if low is not None:
        parts.append(_("statutory minimum %(value)s") % {"value": low})
    if high is not None:
        parts.append(_("statutory maximum %(value)s") % {"value": high})
    return f"{', '.join(str(p) for p in parts)} {entry.unit} ({ref})".replace("  ", " ")


def _capitalized(label) -> str:
    text = str(label)
    return text[:1].upper() + text[1:]


def check(entry: Entry, value, values: dict) -> str | None:
    """The message when ``value`` is outside the allowed range (naming the bound and the range), else None."""
    if value is None or entry.kind not in (INT, DECIMAL):
        return None
    low = entry.bound("minimum", values)
    high = entry.bound("maximum", values)
    context = {
        "label": _capitalized(entry.label),
        "value": value,
        "unit": entry.unit,
        "ref": entry_ref(entry, values),
        "range": bounds_text(entry, values),
    }
    if low is not None and value < low:
        return _(
            "%(label)s cannot be %(value)s: the statutory minimum is %(minimum)s %(unit)s (%(ref)s). "
            "Allowed: %(range)s."
        ) % {**context, "minimum": low}
    if high is not None and value > high:
        return _(
            "%(label)s cannot be %(value)s: the statutory maximum is %(maximum)s %(unit)s (%(ref)s). "
            "Allowed: %(range)s."
        ) % {**context, "maximum": high}
    if value < entry.floor:
        return _("%(label)s cannot be %(value)s. Allowed: %(range)s.") % context
    return None
