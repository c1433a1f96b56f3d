"""validate_terms: statutory regimes refuse numbers worse for the consumer than the law; contracts need > 0."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from warranty.engine import ComponentTerm, EngineError, Fault, UnitFacts, evaluate, preset, validate_terms
from warranty.engine.presets import PRESETS


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def changed(name: str, *, params=None, components=None, exclusions=None, **fields):
    terms = preset(name)
    return replace(
        terms,
        params={**terms.params, **(params or {})},
        components=terms.components if components is None else components,
        exclusions=terms.exclusions if exclusions is None else exclusions,
        **fields,
    )


def with_component(name: str, component: ComponentTerm):
    terms = preset(name)
    others = tuple(comp for comp in terms.components if comp.code != component.code)
    return replace(terms, components=(*others, component))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_lawful(name):
    assert validate_terms(preset(name)) == {}


# One row per refused parameter: the key that is refused and the legal minimum the message names.
@pytest.mark.parametrize(
    ("terms", "key", "says"),
    [
        pytest.param(
            changed("car_2021", whole_unit_months=35),
            "whole_unit_months",
            "3 years / 60,000 km (household car rules 2021 Art 18)",
            id="car21-whole-unit-months",
        ),
        pytest.param(
            changed("car_2021", whole_unit_usage=59999),
            "whole_unit_usage",
            "3 years / 60,000 km",
            id="car21-whole-unit-usage",
        ),
        pytest.param(
            changed("car_2021", sanbao_months=23),
            "sanbao_months",
            "2 years / 50,000 km (household car rules 2021 Art 18)",
            id="car21-sanbao-months",
        ),
        pytest.param(
            changed("car_2021", sanbao_months=None), "sanbao_months", "2 years / 50,000 km", id="car21-sanbao-missing"
        ),
        pytest.param(
            changed("car_2021", sanbao_usage=49999), "sanbao_usage", "2 years / 50,000 km", id="car21-sanbao-usage"
        ),
        pytest.param(
            changed("car_2021", params={"refund_days": 6}), "refund_days", "at least 7 days", id="car21-refund-days"
        ),
        pytest.param(
            changed("car_2021", params={"early_days": 59}),
            "early_days",
            "at least 60 days / 3,000 km",
            id="car21-early-days",
        ),
        pytest.param(
            changed("car_2021", params={"early_usage": 2999}),
            "early_usage",
            "at least 60 days / 3,000 km",
            id="car21-early-usage",
        ),
        pytest.param(
            changed("car_2021", params={"serious_safety_repairs": 3}),
            "serious_safety_repairs",
            "at most 2",
            id="car21-serious-safety",
        ),
        pytest.param(
            changed("car_2021", params={"same_assembly_replacements": 3}),
            "same_assembly_replacements",
            "at most 2",
            id="car21-assembly",
        ),
        pytest.param(
            changed("car_2021", params={"same_main_part_replacements": 3}),
            "same_main_part_replacements",
            "at most 2",
            id="car21-main-part",
        ),
        pytest.param(
            changed("car_2021", params={"cumulative_repair_days": 31}),
            "cumulative_repair_days",
            "at most 30",
            id="car21-repair-days",
        ),
        pytest.param(
            changed("car_2021", params={"same_problem_repairs": 5}),
            "same_problem_repairs",
            "at most 4",
            id="car21-same-problem",
        ),
        pytest.param(
            changed("car_2021", params={"substitute_after_days": 6}),
            "substitute_after_days",
            "at most 5 days",
            id="car21-substitute",
        ),
        pytest.param(
            changed("car_2021", params={"usage_fee_rate": Decimal("0.0051")}),
            "usage_fee_rate",
            "at most 0.5 %",
            id="car21-fee-rate",
        ),
        pytest.param(
            changed("car_2021", params={"usage_fee_rate": Decimal("-0.001")}),
            "usage_fee_rate",
            "negative",
            id="car21-fee-rate-negative",
        ),
        pytest.param(
            with_component("car_2021", ComponentTerm("engine", "assembly", months=24)),
            "components.engine",
            "3 years / 60,000 km",
            id="car21-assembly-shorter",
        ),
        pytest.param(
            changed("car_2021", exclusions=("independent_shop",)),
            "exclusions",
            "independent shop",
            id="car21-independent-shop",
        ),
        pytest.param(
            changed("car_2013", whole_unit_months=35),
            "whole_unit_months",
            "household car rules 2013",
            id="car13-whole-unit-months",
        ),
        pytest.param(
            changed("car_2013", sanbao_usage=49999), "sanbao_usage", "2 years / 50,000 km", id="car13-sanbao-usage"
        ),
        pytest.param(
            changed("car_2013", params={"early_days": 59}), "early_days", "at least 60 days", id="car13-early-days"
        ),
        pytest.param(
            changed("car_2013", params={"cumulative_repair_days": 36}),
            "cumulative_repair_days",
            "at most 35",
            id="car13-repair-days",
        ),
        pytest.param(
            changed("car_2013", params={"same_problem_repairs": 6}),
            "same_problem_repairs",
            "at most 5",
            id="car13-same-problem",
        ),
        pytest.param(
            changed("car_2013", params={"usage_fee_rate": Decimal("0.0049")}),
            "usage_fee_rate",
            "between 0.5 % and 0.8 %",
            id="car13-fee-below-band",
        ),
        pytest.param(
            changed("car_2013", params={"usage_fee_rate": Decimal("0.0081")}),
            "usage_fee_rate",
            "between 0.5 % and 0.8 %",
            id="car13-fee-above-band",
        ),
        pytest.param(
            changed("catalogue_goods", whole_unit_months=11),
            "whole_unit_months",
            "at least 1 year (goods 三包 rules 1995)",
            id="goods-whole-unit",
        ),
        pytest.param(
            changed("catalogue_goods", params={"refund_days": 6}),
            "refund_days",
            "at least 7 days",
            id="goods-refund-days",
        ),
        pytest.param(
            changed("catalogue_goods", params={"exchange_days": 14}),
            "exchange_days",
            "at least 15 days",
            id="goods-exchange-days",
        ),
        pytest.param(
            changed("catalogue_goods", params={"exchange_after_repairs": 3}),
            "exchange_after_repairs",
            "at most 2",
            id="goods-exchange-after",
        ),
        pytest.param(
            changed("catalogue_goods", params={"parts_wait_days": 91}),
            "parts_wait_days",
            "at most 90 days",
            id="goods-parts-wait",
        ),
        pytest.param(
            changed("mobile_phone", params={"parts_wait_days": 61}),
            "parts_wait_days",
            "at most 60 days",
            id="phone-parts-wait",
        ),
        pytest.param(
            changed("catalogue_goods", params={"repairer_delay_days": 31}),
            "repairer_delay_days",
            "at most 30 days",
            id="goods-repairer-delay",
        ),
        pytest.param(
            changed("mobile_phone", params={"loaner_after_days": 8}),
            "loaner_after_days",
            "at most 7 days",
            id="phone-loaner",
        ),
        pytest.param(
            changed("mobile_phone", params={"loaner_after_days": None}),
            "loaner_after_days",
            "at most 7 days",
            id="phone-no-loaner",
        ),
        pytest.param(
            changed("mobile_phone", params={"product_rules": "fixed_phone", "loaner_after_days": 4}),
            "loaner_after_days",
            "at most 3 days",
            id="fixed-phone-loaner",
        ),
        pytest.param(
            changed("mobile_phone", params={"depreciation_daily_rate": Decimal("0.0051")}),
            "depreciation_daily_rate",
            "at most 0.5 %",
            id="phone-depreciation",
        ),
        pytest.param(
            changed("catalogue_goods", params={"depreciation_daily_rate": Decimal("-0.001")}),
            "depreciation_daily_rate",
            "negative",
            id="goods-depreciation-negative",
        ),
        pytest.param(
            with_component("mobile_phone", ComponentTerm("battery", "special_part", months=5)),
            "components.battery",
            "at least 6 months",
            id="phone-battery",
        ),
        pytest.param(
            with_component("mobile_phone", ComponentTerm("headset", "special_part", months=2)),
            "components.headset",
            "at least 3 months",
            id="phone-headset",
        ),
        pytest.param(
            with_component("mobile_phone", ComponentTerm("charger", "special_part", months=11)),
            "components.charger",
            "at least 12 months",
            id="phone-charger",
        ),
        pytest.param(
            with_component("microcomputer", ComponentTerm("cpu", "main_part", months=23)),
            "components.cpu",
            "at least 24 months",
            id="microcomputer-main-part",
        ),
        pytest.param(
            changed("contract", whole_unit_months=0), "whole_unit_months", "positive", id="contract-whole-unit"
        ),
        pytest.param(changed("contract", whole_unit_usage=0), "whole_unit_usage", "positive", id="contract-usage"),
        pytest.param(
            changed("contract", params={"repeat_repairs": 0}), "repeat_repairs", "positive", id="contract-repeat"
        ),
        pytest.param(
            with_component("contract", ComponentTerm("lamp", "consumable", months=0)),
            "components.lamp",
            "positive",
            id="contract-component",
        ),
    ],
)
def test_validate_terms_refuses_sub_statutory_numbers(terms, key, says):
    errors = validate_terms(terms)
    assert list(errors) == [key]
    assert says in errors[key]


@pytest.mark.parametrize(
    "terms",
    [
        pytest.param(changed("car_2021", whole_unit_months=48, whole_unit_usage=100000), id="car-longer-repair-period"),
        pytest.param(changed("car_2021", whole_unit_usage=None, sanbao_usage=None), id="car-no-usage-limits"),
        pytest.param(changed("car_2021", sanbao_months=36), id="car-longer-sanbao"),
        pytest.param(
            changed("car_2021", params={"refund_days": 10, "early_days": 90, "early_usage": 5000}),
            id="car-longer-windows",
        ),
        pytest.param(
            changed(
                "car_2021",
                params={"serious_safety_repairs": 1, "same_assembly_replacements": 1, "same_main_part_replacements": 1},
            ),
            id="car-fewer-replacements",
        ),
        pytest.param(
            changed(
                "car_2021", params={"cumulative_repair_days": 20, "same_problem_repairs": 3, "substitute_after_days": 3}
            ),
            id="car-lower-thresholds",
        ),
        pytest.param(changed("car_2021", params={"usage_fee_rate": Decimal("0")}), id="car-no-usage-fee"),
        pytest.param(
            with_component("car_2021", ComponentTerm("wiper", "wear_part", months=6, usage_limit=10000)),
            id="car-wear-part-shorter",
        ),
        pytest.param(
            with_component("car_2021", ComponentTerm("power_battery", "assembly", months=96, usage_limit=150000)),
            id="car-8-year-battery",
        ),
        pytest.param(changed("car_2013", params={"usage_fee_rate": Decimal("0.008")}), id="car13-fee-top-of-band"),
        pytest.param(
            changed("car_2013", params={"cumulative_repair_days": 30, "same_problem_repairs": 4}),
            id="car13-2021-thresholds",
        ),
        pytest.param(
            changed("catalogue_goods", whole_unit_months=24, params={"refund_days": 10, "exchange_days": 30}),
            id="goods-longer",
        ),
        pytest.param(
            changed(
                "catalogue_goods",
                params={
                    "exchange_after_repairs": 1,
                    "parts_wait_days": 30,
                    "repairer_delay_days": 10,
                    "loaner_after_days": 5,
                },
            ),
            id="goods-sooner",
        ),
        pytest.param(
            changed("catalogue_goods", params={"repair_count_scope": "same_problem"}), id="goods-same-problem-scope"
        ),
        pytest.param(changed("mobile_phone", params={"loaner_after_days": 3}), id="phone-loaner-sooner"),
        pytest.param(
            with_component("mobile_phone", ComponentTerm("battery", "special_part", months=12)),
            id="phone-battery-longer",
        ),
        pytest.param(
            changed("contract", whole_unit_months=1, params={"repeat_repairs": 1}), id="contract-small-positive"
        ),
    ],
)
def test_validate_terms_accepts_better_than_statutory(terms):
    assert validate_terms(terms) == {}


@pytest.mark.parametrize(
    ("terms", "code", "field"),
    [
        pytest.param(replace(preset("contract"), regime="car_2030"), "unknown_regime", "regime", id="regime"),
        pytest.param(
            replace(preset("contract"), start_event="shipment"), "unknown_start_event", "start_event", id="start-event"
        ),
        pytest.param(replace(preset("contract"), options={"foo": 1}), "unknown_option", "foo", id="option"),
        pytest.param(
            replace(preset("contract"), options={"net_repair_time": "sometimes"}),
            "unknown_option_value",
            "net_repair_time",
            id="option-value",
        ),
        pytest.param(
            replace(preset("contract"), options={"holiday_extension": 1}),
            "unknown_option_value",
            "holiday_extension",
            id="option-value-type",
        ),
        pytest.param(
            replace(preset("contract"), components=(ComponentTerm("x", "gizmo"),)),
            "unknown_component_kind",
            "components.x",
            id="component-kind",
        ),
        pytest.param(
            replace(preset("contract"), components=(ComponentTerm("x", "main_part"),) * 2),
            "duplicate_component",
            "components.x",
            id="duplicate-component",
        ),
        pytest.param(
            changed("car_2013", params={"refund_days": 7}), "unknown_param", "refund_days", id="param-of-other-regime"
        ),
        pytest.param(
            changed("catalogue_goods", params={"refund_days": "7"}), "bad_param", "refund_days", id="param-type"
        ),
        pytest.param(
            changed("catalogue_goods", params={"repair_count_scope": "some"}),
            "bad_param",
            "repair_count_scope",
            id="param-choice",
        ),
        pytest.param(
            changed("car_2021", params={"usage_fee_rate": "abc"}), "bad_param", "usage_fee_rate", id="param-decimal"
        ),
        pytest.param(
            replace(preset("contract"), whole_unit_months="12"), "bad_number", "whole_unit_months", id="field-type"
        ),
    ],
)
def test_impossible_terms_raise(terms, code, field):
    for check in (validate_terms, lambda t: evaluate(t, UnitFacts(), claim_date=None, usage=None, fault=Fault())):
        with pytest.raises(EngineError) as error:
            check(terms)
        assert (error.value.code, error.value.field) == (code, field)


def test_evaluate_refuses_unlawful_terms():
    terms = changed("car_2021", params={"cumulative_repair_days": 35})
    with pytest.raises(EngineError) as error:
        evaluate(terms, UnitFacts(invoice_date=date(2023, 3, 1)), claim_date=date(2023, 3, 2), usage=0, fault=Fault())
    assert (error.value.code, error.value.field) == ("unlawful_terms", "cumulative_repair_days")
    assert "at most 30" in str(error.value)
