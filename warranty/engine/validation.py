"""Terms checks: structure (raises EngineError) and statutory minimums (returns messages).

A maker may promise more than the law, never less: statutory regimes refuse every number that is worse for
the consumer than the legal minimum; the contract regime only asks for positive numbers.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .presets import (
    BOOL_PARAMS,
    DECIMAL_PARAMS,
    OPTION_CHOICES,
    OPTIONAL_PARAMS,
    PARAM_CHOICES,
    REGIME_PARAMS,
    resolved_params,
)
from .types import CAR_REGIMES, COMPONENT_KINDS, INDEPENDENT_SHOP, REGIMES, START_EVENTS, EngineError, Terms

# Statutory minimums of phone accessories (mobile phone rules 2001) by component code, in months.
_PHONE_PART_MONTHS = {"battery": 6, "charger": 12, "headset": 3}
_MICROCOMPUTER_MAIN_PART_MONTHS = 24


def check_structure(terms: Terms) -> None:
    """Refuse terms the engine cannot read at all (unknown words, wrong types)."""
    if terms.regime not in REGIMES:
        raise EngineError("unknown_regime", _("Unknown regime: %(value)s") % {"value": terms.regime}, field="regime")
    if terms.start_event not in START_EVENTS:
        raise EngineError(
            "unknown_start_event",
            _("Unknown start event: %(value)s") % {"value": terms.start_event},
            field="start_event",
        )
    _check_numbers(terms)
    _check_components(terms)
    _check_options(terms.options)
    _check_params(terms)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_numbers(terms: Terms) -> None:
    fields = {
        "whole_unit_months": (terms.whole_unit_months, False),
        "whole_unit_usage": (terms.whole_unit_usage, True),
        "sanbao_months": (terms.sanbao_months, True),
        "sanbao_usage": (terms.sanbao_usage, True),
    }
    for comp in terms.components:
        fields[f"components.{comp.code}.months"] = (comp.months, True)
        fields[f"components.{comp.code}.usage_limit"] = (comp.usage_limit, True)
    for key, (value, optional) in fields.items():
        if not (_is_int(value) or (optional and value is None)):
            raise EngineError("bad_number", _("%(key)s must be a whole number.") % {"key": key}, field=key)


def _check_components(terms: Terms) -> None:
    seen: set[str] = set()
    for comp in terms.components:
        key = f"components.{comp.code}"
        if comp.kind not in COMPONENT_KINDS:
            raise EngineError(
                "unknown_component_kind", _("Unknown component kind: %(value)s") % {"value": comp.kind}, field=key
            )
        if comp.code in seen or not comp.code:
            raise EngineError("duplicate_component", _("Component codes must be unique and non-empty."), field=key)
        seen.add(comp.code)


def _check_options(options: dict) -> None:
    for key, value in options.items():
        if key not in OPTION_CHOICES:
            raise EngineError("unknown_option", _("Unknown option: %(key)s") % {"key": key}, field=key)
        # Compare with type so that 1 is not taken for True.
        if not any(type(value) is type(allowed) and value == allowed for allowed in OPTION_CHOICES[key]):
            raise EngineError(
                "unknown_option_value",
                _("Option %(key)s cannot be %(value)s.") % {"key": key, "value": value},
                field=key,
            )


def _check_params(terms: Terms) -> None:
    allowed = REGIME_PARAMS[terms.regime]
    for key, value in terms.params.items():
        if key not in allowed:
            raise EngineError(
                "unknown_param", _("Unknown parameter for this regime: %(key)s") % {"key": key}, field=key
            )
        if value is None and key in OPTIONAL_PARAMS:
            continue
        if key in PARAM_CHOICES:
            ok = value in PARAM_CHOICES[key]
        elif key in BOOL_PARAMS:
            ok = isinstance(value, bool)
        elif key in DECIMAL_PARAMS:
            ok = _is_decimal(value)
        else:
            ok = _is_int(value)
        if not ok:
            raise EngineError(
                "bad_param", _("Parameter %(key)s cannot be %(value)s.") % {"key": key, "value": value}, field=key
            )


def _is_decimal(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False
    return True


def validate_terms(terms: Terms) -> dict[str, str]:
    """Field or parameter name → message naming the legal minimum; {} when the terms are lawful."""
    check_structure(terms)
    params = resolved_params(terms)
    if terms.regime in CAR_REGIMES:
        return _validate_car(terms, params)
    if terms.regime == "consumer_goods":
        return _validate_goods(terms, params)
    return _validate_contract(terms, params)


def _at_least(errors: dict, key: str, value, minimum, message: str) -> None:
    if value is None or value < minimum:
        errors[key] = message


def _usage_at_least(errors: dict, key: str, value, minimum, message: str) -> None:
    # No usage limit at all is better than any limit.
    if value is not None and value < minimum:
        errors[key] = message


def _at_most(errors: dict, key: str, value, maximum, message: str) -> None:
    if value is None or value > maximum:
        errors[key] = message


def _not_negative(errors: dict, terms: Terms, params: dict) -> None:
    for key, value in params.items():
        if isinstance(value, int | Decimal) and not isinstance(value, bool) and value < 0:
            errors[key] = _("%(key)s cannot be negative.") % {"key": key}
    for comp in terms.components:
        if (comp.months is not None and comp.months < 0) or (comp.usage_limit is not None and comp.usage_limit < 0):
            errors[f"components.{comp.code}"] = _("Component periods cannot be negative.")


def _validate_car(terms: Terms, params: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    is_2021 = terms.regime == "car_2021"
    ref = _("household car rules 2021") if is_2021 else _("household car rules 2013")

    def art(article: str) -> str:
        return f"{ref} {article}" if is_2021 else ref

    repair_msg = _("包修期 must be at least 3 years / 60,000 km (%(ref)s).") % {"ref": art("Art 18")}
    _at_least(errors, "whole_unit_months", terms.whole_unit_months, 36, repair_msg)
    _usage_at_least(errors, "whole_unit_usage", terms.whole_unit_usage, 60000, repair_msg)
    sanbao_msg = _("三包有效期 must be at least 2 years / 50,000 km (%(ref)s).") % {"ref": art("Art 18")}
    _at_least(errors, "sanbao_months", terms.sanbao_months, 24, sanbao_msg)
    _usage_at_least(errors, "sanbao_usage", terms.sanbao_usage, 50000, sanbao_msg)
    for comp in terms.components:
        # Only wear parts may carry a shorter period than the 包修期 (三包凭证 lists them).
        if comp.kind in ("assembly", "main_part") and (
            (comp.months is not None and comp.months < 36)
            or (comp.usage_limit is not None and comp.usage_limit < 60000)
        ):
            errors[f"components.{comp.code}"] = _(
                "An assembly or main part must be covered at least for the 包修期 of 3 years / 60,000 km (%(ref)s)."
            ) % {"ref": art("Art 18")}
    if is_2021:
        _at_least(
            errors,
            "refund_days",
            params["refund_days"],
            7,
            _("The refund window must be at least 7 days (%(ref)s).") % {"ref": art("Art 22")},
        )
    early_msg = _("The early window must be at least 60 days / 3,000 km (%(ref)s).") % {"ref": art("Arts 20 and 23")}
    _at_least(errors, "early_days", params["early_days"], 60, early_msg)
    _at_least(errors, "early_usage", params["early_usage"], 3000, early_msg)
    counts = (
        (
            "serious_safety_repairs",
            2,
            _(
                "The serious-safety repair count must be at most 2 "
                "(refund or exchange after 2 repairs of serious safety faults: %(ref)s)."
            ),
        ),
        ("same_assembly_replacements", 2, _("The same-assembly replacement count must be at most 2 (%(ref)s).")),
        ("same_main_part_replacements", 2, _("The same-main-part replacement count must be at most 2 (%(ref)s).")),
        (
            "cumulative_repair_days",
            30 if is_2021 else 35,
            _(
                "The cumulative repair-days threshold must be at most %(limit)s "
                "(refund or exchange after more than %(limit)s days of repair: %(ref)s)."
            ),
        ),
        (
            "same_problem_repairs",
            4 if is_2021 else 5,
            _(
                "The same-problem repair threshold must be at most %(limit)s "
                "(refund or exchange after more than %(limit)s repairs of the same problem: %(ref)s)."
            ),
        ),
        (
            "substitute_after_days",
            5,
            _(
                "The substitute-car threshold must be at most 5 days "
                "(a substitute car when one repair takes more than 5 days: %(ref)s)."
            ),
        ),
    )
    articles = {"substitute_after_days": "Art 21"}
    for key, limit, message in counts:
        _at_most(errors, key, params[key], limit, message % {"limit": limit, "ref": art(articles.get(key, "Art 24"))})
    _validate_fee_rate(errors, Decimal(str(params["usage_fee_rate"])), is_2021, art("Art 27"))
    if INDEPENDENT_SHOP in terms.exclusions:
        errors["exclusions"] = _("Maintenance at an independent shop is not an excluded cause (%(ref)s).") % {
            "ref": art("Art 32")
        }
    _not_negative(errors, terms, params)
    return errors


def _validate_fee_rate(errors: dict, rate: Decimal, is_2021: bool, ref: str) -> None:
    if is_2021 and not (0 <= rate <= Decimal("0.005")):
        errors["usage_fee_rate"] = _("The usage-fee factor n must be at most 0.5 %% per 1,000 km (%(ref)s).") % {
            "ref": ref
        }
    # The 2013 rules fix a band rather than a ceiling.
    if not is_2021 and not (Decimal("0.005") <= rate <= Decimal("0.008")):
        errors["usage_fee_rate"] = _(
            "The usage-fee factor n must be between 0.5 %% and 0.8 %% per 1,000 km (%(ref)s)."
        ) % {"ref": ref}


def _validate_goods(terms: Terms, params: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    rules = params["product_rules"]
    ref = {
        "catalogue": _("goods 三包 rules 1995"),
        "mobile_phone": _("mobile phone 三包 rules 2001"),
        "fixed_phone": _("fixed phone 三包 rules 2001"),
        "microcomputer": _("microcomputer 三包 rules 2002"),
    }[rules]
    is_phone = rules in ("mobile_phone", "fixed_phone")
    wait_limit = 60 if is_phone else 90
    minimums = (
        (
            "whole_unit_months",
            terms.whole_unit_months,
            12,
            _("The whole-unit 三包有效期 must be at least 1 year (%(ref)s)."),
        ),
        ("refund_days", params["refund_days"], 7, _("The refund window must be at least 7 days (%(ref)s).")),
        ("exchange_days", params["exchange_days"], 15, _("The exchange window must be at least 15 days (%(ref)s).")),
    )
    for key, value, minimum, message in minimums:
        _at_least(errors, key, value, minimum, message % {"ref": ref})
    maximums = [
        (
            "exchange_after_repairs",
            2,
            _("The repair count for an exchange must be at most 2 (exchange after 2 failed repairs: %(ref)s)."),
        ),
        (
            "parts_wait_days",
            wait_limit,
            _(
                "The parts-wait threshold must be at most %(limit)s days "
                "(exchange when producer parts are missing for more than %(limit)s days: %(ref)s)."
            ),
        ),
        (
            "repairer_delay_days",
            30,
            _(
                "The repairer-delay threshold must be at most 30 days "
                "(exchange when the repairer's own delay exceeds 30 days: %(ref)s)."
            ),
        ),
    ]
    loaner_limit = {"mobile_phone": 7, "fixed_phone": 3}.get(rules)
    if loaner_limit is not None:
        maximums.append(
            (
                "loaner_after_days",
                loaner_limit,
                _(
                    "The loaner threshold must be at most %(limit)s days "
                    "(a loaner when a repair takes more than %(limit)s days: %(ref)s)."
                ),
            )
        )
    for key, limit, message in maximums:
        _at_most(errors, key, params[key], limit, message % {"limit": limit, "ref": ref})
    if is_phone and Decimal(str(params["depreciation_daily_rate"])) > Decimal("0.005"):
        errors["depreciation_daily_rate"] = _("The daily depreciation rate must be at most 0.5 %% (%(ref)s).") % {
            "ref": ref
        }
    _validate_goods_components(errors, terms, rules, ref)
    _not_negative(errors, terms, params)
    return errors


def _validate_goods_components(errors: dict, terms: Terms, rules: str, ref: str) -> None:
    for comp in terms.components:
        if rules == "mobile_phone" and comp.code in _PHONE_PART_MONTHS:
            minimum = _PHONE_PART_MONTHS[comp.code]
        elif rules == "microcomputer" and comp.kind == "main_part":
            minimum = _MICROCOMPUTER_MAIN_PART_MONTHS
        else:
            continue  # catalogue rows are reference data: no fixed legal number to check against
        if comp.months is not None and comp.months < minimum:
            errors[f"components.{comp.code}"] = _(
                "The 三包有效期 of %(code)s must be at least %(months)s months (%(ref)s)."
            ) % {"code": comp.code, "months": minimum, "ref": ref}


def _validate_contract(terms: Terms, params: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    message = _("Must be a positive number.")
    if terms.whole_unit_months <= 0:
        errors["whole_unit_months"] = message
    if terms.whole_unit_usage is not None and terms.whole_unit_usage <= 0:
        errors["whole_unit_usage"] = message
    for comp in terms.components:
        if (comp.months is not None and comp.months <= 0) or (comp.usage_limit is not None and comp.usage_limit <= 0):
            errors[f"components.{comp.code}"] = message
    if params["repeat_repairs"] <= 0:
        errors["repeat_repairs"] = message
    return errors
