"""Coverage by component in every regime: a component's own period governs the rules that grant free service.

A shorter own period (a wear part, a battery, a consumable) ends free service for that part while the unit is
still covered; a longer one (a main part, an 8-year battery) keeps it after the unit's period. A component
with only a usage limit of its own runs for the whole unit's months up to its own limit.
"""

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from warranty.engine import ComponentTerm, Fault, Repair, UnitFacts, compute_periods, evaluate, preset

CAR_START = date(2023, 3, 1)  # 包修期 to 2026-03-01 / 60,000 km
CAR = UnitFacts(invoice_date=CAR_START, price=Decimal("150000"))
PHONE = UnitFacts(invoice_date=date(2024, 1, 1), price=Decimal("2999"))  # handset to 2025-01-01, battery 2024-07-01
CONTRACT = UnitFacts(acceptance_date=date(2023, 2, 15))  # whole unit to 2024-02-15

WIPER = ComponentTerm("wiper", "wear_part", months=6, usage_limit=10000)
BRAKE_PAD = ComponentTerm("brake_pad", "wear_part", usage_limit=20000)  # 包修期 months, its own 20,000 km
KM_BATTERY = ComponentTerm("power_battery", "assembly", usage_limit=150000, system="power_battery")
LAMP = ComponentTerm("lamp", "consumable", months=6)
FILTER = ComponentTerm("filter", "consumable", usage_limit=500)
COMPRESSOR = ComponentTerm("compressor", "main_part", months=36)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def car_terms(*components):
    """The car preset with ``components`` added, or replacing the preset's entry of the same code."""
    codes = {comp.code for comp in components}
    kept = tuple(comp for comp in preset("car_2021").components if comp.code not in codes)
    return replace(preset("car_2021"), components=(*kept, *components))


def contract_terms(*components):
    return replace(preset("contract"), components=components)


def rules(terms, facts, *, claim, usage=None, **fault) -> list[str]:
    evaluation = evaluate(terms, facts, claim_date=claim, usage=usage, fault=Fault(**fault))
    return [result.rule for result in evaluation.results]


@pytest.mark.parametrize(
    ("terms", "facts", "claim", "usage", "component", "expected"),
    [
        # Car: CAR-19 follows the part's own period.
        pytest.param(car_terms(WIPER), CAR, date(2023, 9, 1), 5000, "wiper", ["CAR-19"], id="car-wiper-in-6-months"),
        pytest.param(car_terms(WIPER), CAR, date(2023, 9, 2), 5000, "wiper", ["CAR-OUT"], id="car-wiper-ended"),
        pytest.param(car_terms(WIPER), CAR, date(2023, 9, 2), 5000, "", ["CAR-19"], id="car-unit-still-covered"),
        pytest.param(car_terms(BRAKE_PAD), CAR, date(2025, 1, 1), 20000, "brake_pad", ["CAR-19"], id="pad-20000km"),
        pytest.param(car_terms(BRAKE_PAD), CAR, date(2025, 1, 1), 20001, "brake_pad", ["CAR-OUT"], id="pad-over-km"),
        pytest.param(
            car_terms(BRAKE_PAD), CAR, date(2026, 3, 2), 100, "brake_pad", ["CAR-OUT"], id="pad-after-repair-period"
        ),
        pytest.param(
            car_terms(KM_BATTERY), CAR, date(2025, 1, 1), 80000, "power_battery", ["CAR-19"], id="battery-longer-km"
        ),
        pytest.param(car_terms(KM_BATTERY), CAR, date(2025, 1, 1), 80000, "", ["CAR-OUT"], id="unit-over-60000km"),
        # Goods: G-MAIN for the part's own (longer) period, G-FREE only while the part's own shorter one runs.
        pytest.param(
            preset("mobile_phone"), PHONE, date(2024, 7, 1), None, "battery", ["G-MAIN", "G-FREE"], id="phone-battery"
        ),
        pytest.param(
            preset("mobile_phone"), PHONE, date(2024, 7, 2), None, "battery", ["G-OUT"], id="phone-battery-ended"
        ),
        pytest.param(preset("mobile_phone"), PHONE, date(2024, 7, 2), None, "", ["G-FREE"], id="phone-handset"),
        pytest.param(
            preset("catalogue_goods"), PHONE, date(2025, 6, 1), None, "picture_tube", ["G-MAIN"], id="tv-tube-3-years"
        ),
        # Contract: K-COMP / K-FREE the same way, also for a part with only a usage limit.
        pytest.param(contract_terms(LAMP), CONTRACT, date(2023, 8, 16), None, "lamp", ["K-OUT"], id="contract-lamp"),
        pytest.param(
            contract_terms(FILTER), CONTRACT, date(2023, 6, 1), 500, "filter", ["K-COMP", "K-FREE"], id="filter-500h"
        ),
        pytest.param(contract_terms(FILTER), CONTRACT, date(2023, 6, 1), 501, "filter", ["K-OUT"], id="filter-501h"),
        pytest.param(
            contract_terms(COMPRESSOR), CONTRACT, date(2025, 2, 15), None, "compressor", ["K-COMP"], id="compressor"
        ),
    ],
)
def test_component_own_period_governs_free_service(terms, facts, claim, usage, component, expected):
    assert rules(terms, facts, claim=claim, usage=usage, component=component) == expected


def test_component_with_only_a_usage_limit_gets_the_whole_unit_months():
    periods = compute_periods(car_terms(BRAKE_PAD), CAR, on=date(2024, 1, 1), usage=25000)
    pad = periods["component:brake_pad"]
    assert (pad.end, pad.usage_limit, pad.active) == (date(2026, 3, 1), 20000, False)
    assert periods["repair_period"].active
    # Assemblies with neither months nor a usage limit have no period of their own.
    assert "component:engine" not in periods


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        pytest.param("wiper", ["CAR-OUT"], id="wiper-handed-in-after-own-period"),
        pytest.param("", ["CAR-19", "CAR-21"], id="unit-handed-in-within-repair-period"),
    ],
)
def test_component_car21_substitute_needs_the_part_covered_at_hand_in(component, expected):
    handed_in = datetime(2023, 9, 5, 9)
    fired = rules(
        car_terms(WIPER), CAR, claim=date(2023, 9, 12), usage=5000, component=component, handed_in_at=handed_in
    )
    assert fired == expected


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        pytest.param("battery", ["G-OUT"], id="battery-handed-in-after-6-months"),
        pytest.param("", ["G-12a", "G-FREE", "G-BK"], id="handset-handed-in-within-1-year"),
    ],
)
def test_component_goods_current_repair_rules_need_the_part_covered_at_hand_in(component, expected):
    handed_in = datetime(2024, 7, 5, 9)
    fault = {"component": component, "handed_in_at": handed_in, "parts_wait_party": "producer"}
    assert rules(preset("mobile_phone"), PHONE, claim=handed_in.date() + timedelta(days=61), **fault) == expected


def test_component_k_repeat_needs_the_part_within_its_own_period():
    history = tuple(
        Repair(
            confirmed_at=datetime(2023, 4, 1, 9) + timedelta(days=14 * i),
            completed_at=datetime(2023, 4, 1, 11) + timedelta(days=14 * i),
            problem_code="F1",
            component="lamp",
        )
        for i in range(3)
    )
    terms = contract_terms(LAMP)
    claim = date(2023, 9, 1)  # the lamp's 6 months ended on 2023-08-15, the unit runs to 2024-02-15
    evaluated = evaluate(
        terms, CONTRACT, claim_date=claim, usage=None, fault=Fault(problem_code="F1", component="lamp")
    )
    assert [result.rule for result in evaluated.results] == ["K-OUT"]
    assert rules(terms, CONTRACT, claim=claim, problem_code="F1") == ["K-FREE"]
    with_history = evaluate(
        terms, CONTRACT, claim_date=claim, usage=None, fault=Fault(problem_code="F1"), history=history
    )
    assert [result.rule for result in with_history.results] == ["K-REPEAT", "K-FREE"]
