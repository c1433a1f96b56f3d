"""Household cars whose period started before 2022-01-01 (regime car_2013) and the choice of car regime."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from warranty.engine import Fault, Repair, UnitFacts, evaluate, preset

S = date(2021, 3, 1)
FACTS = UnitFacts(invoice_date=S, delivery_date=date(2021, 3, 8), price=Decimal("100000"))
C13 = date(2022, 3, 1)  # inside the 三包有效期 (to 2023-03-01 / 50,000 km)
NO_FAULT = Fault()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


def fixed(day: date, hours: float = 2, **kwargs) -> Repair:
    return Repair(confirmed_at=at(day), completed_at=at(day) + timedelta(hours=hours), **kwargs)


def series(count: int, *, hours: float = 2, **kwargs) -> tuple[Repair, ...]:
    return tuple(fixed(date(2021, 4, 1) + timedelta(days=20 * i), hours, **kwargs) for i in range(count))


def results(terms=None, *, claim=C13, usage=20000, fault=NO_FAULT, history=(), facts=FACTS):
    terms = terms or preset("car_2013")
    return evaluate(terms, facts, claim_date=claim, usage=usage, fault=fault, history=history).results


def rules(**kwargs) -> list[str]:
    return [result.rule for result in results(**kwargs)]


def day(offset: int) -> date:
    return S + timedelta(days=offset)


def test_start_is_the_invoice_date_even_when_delivered_later():
    evaluation = evaluate(preset("car_2013"), FACTS, claim_date=day(1), usage=10, fault=NO_FAULT)
    assert (evaluation.regime, evaluation.start_date, evaluation.start_event) == ("car_2013", S, "invoice")
    # 60 days from the invoice, not from the delivery on 8 March.
    assert evaluation.periods["early_window"].end == date(2021, 4, 30)


def test_no_refund_within_7_days_rule():
    fired = rules(claim=day(3), usage=100, fault=Fault(needs_assembly_replacement=True))
    assert fired == ["CAR13-19"]
    assert (
        "return_window" not in evaluate(preset("car_2013"), FACTS, claim_date=day(3), usage=1, fault=NO_FAULT).periods
    )


# CAR13-23: 60 days / 3,000 km; steering, brakes, body cracking, fuel leak, but no battery fire.
@pytest.mark.parametrize(
    ("claim", "usage", "failure", "fires"),
    [
        pytest.param(day(60), 3000, "fuel_leak", True, id="day-60-3000km"),
        pytest.param(day(61), 3000, "fuel_leak", False, id="day-61"),
        pytest.param(day(60), 3001, "fuel_leak", False, id="3001km"),
        pytest.param(day(10), 100, "steering", True, id="steering"),
        pytest.param(day(10), 100, "brakes", True, id="brakes"),
        pytest.param(day(10), 100, "body_cracking", True, id="body-cracking"),
        pytest.param(day(10), 100, "battery_fire", False, id="no-battery-fire-in-2013"),
    ],
)
def test_car13_23_early_failures(claim, usage, failure, fires):
    assert ("CAR13-23" in rules(claim=claim, usage=usage, fault=Fault(failure_types=(failure,)))) is fires


# CAR13-20: engine and transmission only.
@pytest.mark.parametrize(
    ("claim", "usage", "component", "fires"),
    [
        pytest.param(day(60), 3000, "engine", True, id="engine-day-60"),
        pytest.param(day(61), 3000, "engine", False, id="engine-day-61"),
        pytest.param(day(60), 3001, "transmission", False, id="transmission-3001km"),
        pytest.param(day(10), 100, "transmission", True, id="transmission"),
        pytest.param(day(10), 100, "power_battery", False, id="no-power-battery-in-2013"),
        pytest.param(day(10), 100, "drive_motor", False, id="no-drive-motor-in-2013"),
    ],
)
def test_car13_20_engine_and_transmission_only(claim, usage, component, fires):
    fault = Fault(component=component, assembly_main_part_defect=True)
    assert ("CAR13-20" in rules(claim=claim, usage=usage, fault=fault)) is fires


def swapped(code: str, times: int = 2) -> tuple[Repair, ...]:
    return tuple(
        fixed(date(2021, 4, 1) + timedelta(days=20 * i), assemblies_replaced=(code,), problem_code=f"A{i}")
        for i in range(times)
    )


def part_twice(system: str, part: str) -> tuple[Repair, ...]:
    return tuple(
        fixed(date(2021, 4, 1) + timedelta(days=20 * i), main_parts_replaced=((system, part),), problem_code=f"M{i}")
        for i in range(2)
    )


@pytest.mark.parametrize(
    ("history", "fault", "rule", "fires"),
    [
        pytest.param(
            series(2, serious_safety=True), Fault(serious_fault_persists=True), "CAR13-24-1", True, id="24-1-2-serious"
        ),
        pytest.param(
            series(1, serious_safety=True), Fault(serious_fault_persists=True), "CAR13-24-1", False, id="24-1-1-serious"
        ),
        pytest.param(swapped("engine"), Fault(still_unusable=True), "CAR13-24-2", True, id="24-2-engine-twice"),
        pytest.param(swapped("engine", 1), Fault(still_unusable=True), "CAR13-24-2", False, id="24-2-engine-once"),
        pytest.param(
            swapped("power_battery"), Fault(still_unusable=True), "CAR13-24-2", False, id="24-2-no-power-battery"
        ),
        pytest.param(part_twice("axle", "beam"), Fault(still_unusable=True), "CAR13-24-3", True, id="24-3-axle"),
        pytest.param(
            part_twice("steering", "rack"), Fault(still_unusable=True), "CAR13-24-3", True, id="24-3-steering"
        ),
        pytest.param(
            part_twice("driveline", "shaft"), Fault(still_unusable=True), "CAR13-24-3", False, id="24-3-no-driveline"
        ),
        pytest.param(
            part_twice("emission", "catalyst"), Fault(still_unusable=True), "CAR13-24-3", False, id="24-3-no-emission"
        ),
    ],
)
def test_car13_24_1_to_3(history, fault, rule, fires):
    fired = results(fault=fault, history=history, facts=replace(FACTS, replacement_car_available=False))
    matching = [result for result in fired if result.rule == rule]
    assert bool(matching) is fires
    if fires:
        # Refund or exchange, whatever the stock of replacement cars.
        assert (matching[0].options, matching[0].charge) == (("REFUND", "EXCHANGE"), "usage_fee")


def long_repair(hours: int) -> tuple[Repair, ...]:
    return (fixed(date(2021, 5, 1), hours, problem_code="D1"),)


# CAR13-24-4a / 4b: more than 35 days or more than 5 repairs → EXCHANGE only; REFUND when no car to exchange.
@pytest.mark.parametrize(
    ("history", "rule", "replacement", "options"),
    [
        pytest.param(long_repair(840), "CAR13-24-4a", True, None, id="4a-840h-is-35-days"),
        pytest.param(long_repair(841), "CAR13-24-4a", True, ("EXCHANGE",), id="4a-841h-is-36-days"),
        pytest.param(long_repair(841), "CAR13-24-4a", False, ("REFUND",), id="4a-no-replacement-car"),
        pytest.param(series(5, problem_code="P1"), "CAR13-24-4b", True, None, id="4b-5-repairs"),
        pytest.param(series(6, problem_code="P1"), "CAR13-24-4b", True, ("EXCHANGE",), id="4b-6th-repair"),
        pytest.param(series(6, problem_code="P1"), "CAR13-24-4b", False, ("REFUND",), id="4b-no-replacement-car"),
    ],
)
def test_car13_24_4_exchange_only(history, rule, replacement, options):
    facts = replace(FACTS, replacement_car_available=replacement)
    fired = results(fault=Fault(problem_code="P1"), history=history, facts=facts)
    matching = [result for result in fired if result.rule == rule]
    assert (matching[0].options if matching else None) == options


def test_car13_usage_fee_with_factor_in_band():
    # 100,000 × 30,000 km / 1000 × 0.008 = 24,000.00
    terms = preset("car_2013")
    terms = replace(terms, params={**terms.params, "usage_fee_rate": Decimal("0.008")})
    fired = results(terms=terms, usage=30000, fault=Fault(problem_code="P1"), history=series(6, problem_code="P1"))
    fee = next(result for result in fired if result.rule == "CAR13-24-4b")
    assert (fee.charge, fee.amount) == ("usage_fee", Decimal("24000.00"))


@pytest.mark.parametrize(
    ("claim", "usage", "fault", "expected"),
    [
        pytest.param(C13, 20000, NO_FAULT, ["CAR13-19"], id="free-repair"),
        pytest.param(date(2024, 3, 2), 20000, NO_FAULT, ["CAR13-OUT"], id="after-3-years-paid"),
        pytest.param(C13, 20000, Fault(quality_problem=False), ["CAR13-X32"], id="excluded"),
        pytest.param(
            C13,
            20000,
            Fault(handed_in_at=datetime(2022, 2, 20, 10)),
            ["CAR13-19", "CAR13-21"],
            id="substitute-after-5-days",
        ),
    ],
)
def test_car13_rule_ids_use_the_prefix(claim, usage, fault, expected):
    assert rules(claim=claim, usage=usage, fault=fault) == expected


# Option 5: the regime follows the start date under the 2021 start rule (delivery when it differs).
@pytest.mark.parametrize(
    ("terms_name", "facts", "options", "regime", "start", "event"),
    [
        pytest.param(
            "car_2021",
            UnitFacts(invoice_date=date(2021, 12, 31)),
            {},
            "car_2013",
            date(2021, 12, 31),
            "invoice",
            id="2021-terms-car-started-31-dec-2021",
        ),
        pytest.param(
            "car_2021",
            UnitFacts(invoice_date=date(2021, 12, 30), delivery_date=date(2022, 1, 1)),
            {},
            "car_2021",
            date(2022, 1, 1),
            "delivery",
            id="invoiced-2021-delivered-1-jan-2022",
        ),
        pytest.param(
            "car_2021",
            UnitFacts(invoice_date=date(2022, 1, 1)),
            {},
            "car_2021",
            date(2022, 1, 1),
            "invoice",
            id="started-1-jan-2022",
        ),
        pytest.param(
            "car_2013",
            UnitFacts(invoice_date=date(2022, 1, 1)),
            {},
            "car_2021",
            date(2022, 1, 1),
            "invoice",
            id="2013-terms-on-a-2022-car",
        ),
        pytest.param(
            "car_2013",
            UnitFacts(invoice_date=date(2021, 12, 30), delivery_date=date(2022, 1, 3)),
            {},
            "car_2021",
            date(2022, 1, 3),
            "delivery",
            id="2013-terms-delivered-2022",
        ),
        pytest.param(
            "car_2021",
            UnitFacts(invoice_date=date(2021, 6, 1), replaced_on=date(2022, 2, 1)),
            {},
            "car_2021",
            date(2022, 2, 1),
            "replacement",
            id="replacement-car-in-2022",
        ),
        pytest.param(
            "car_2021",
            UnitFacts(invoice_date=date(2021, 6, 1), delivery_date=date(2021, 6, 5)),
            {"regime_by_start_date": False},
            "car_2021",
            date(2021, 6, 5),
            "delivery",
            id="option-off-keeps-2021",
        ),
        pytest.param(
            "car_2013",
            UnitFacts(invoice_date=date(2022, 5, 1), delivery_date=date(2022, 5, 3)),
            {"regime_by_start_date": False},
            "car_2013",
            date(2022, 5, 1),
            "invoice",
            id="option-off-keeps-2013",
        ),
    ],
)
def test_regime_chosen_by_start_date(terms_name, facts, options, regime, start, event):
    terms = preset(terms_name)
    terms = replace(terms, options={**terms.options, **options})
    evaluation = evaluate(terms, facts, claim_date=start + timedelta(days=30), usage=1000, fault=NO_FAULT)
    assert (evaluation.regime, evaluation.start_date, evaluation.start_event) == (regime, start, event)
    prefix = "CAR-" if regime == "car_2021" else "CAR13-"
    assert evaluation.results[0].rule == prefix + "19"


# On a switch the thresholds are the applied regime's own statutory ones.
@pytest.mark.parametrize(
    ("terms_name", "invoice", "hours", "rule", "fires"),
    [
        # 33 days: more than 30 (2021) but not more than 35 (2013).
        pytest.param("car_2021", date(2021, 6, 1), 33 * 24, "CAR13-24-4a", False, id="2013-car-33-days"),
        pytest.param("car_2021", date(2021, 6, 1), 36 * 24, "CAR13-24-4a", True, id="2013-car-36-days"),
        pytest.param("car_2013", date(2022, 6, 1), 31 * 24, "CAR-24-4a", True, id="2021-car-31-days"),
    ],
)
def test_regime_switch_uses_the_applied_thresholds(terms_name, invoice, hours, rule, fires):
    history = (fixed(invoice + timedelta(days=30), hours, problem_code="D1"),)
    facts = UnitFacts(invoice_date=invoice, price=Decimal("100000"))
    evaluation = evaluate(
        preset(terms_name),
        facts,
        claim_date=invoice + timedelta(days=365),
        usage=20000,
        fault=NO_FAULT,
        history=history,
    )
    assert (rule in [result.rule for result in evaluation.results]) is fires
