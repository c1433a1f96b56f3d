"""Household cars, rules of 2021 (docs/sanbao.md, regime car_2021): every rule id at its boundaries.

Expected values are worked out by hand from the table in sanbao.md; the arithmetic is in the comments.
"""

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from warranty.engine import ComponentTerm, Fault, Repair, UnitFacts, evaluate, preset

S = date(2023, 3, 1)  # invoice = delivery
FACTS = UnitFacts(invoice_date=S, price=Decimal("150000"))
DELIVERED_LATER = UnitFacts(invoice_date=S, delivery_date=date(2023, 3, 5), price=Decimal("150000"))
C24 = date(2024, 3, 1)  # a claim inside the 三包有效期 (ends 2025-03-01 / 50,000 km)
NO_FAULT = Fault()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def fixed(day: date, hours: float = 2, **kwargs) -> Repair:
    """A repair agreed at 09:00 on ``day`` and completed ``hours`` later."""
    return Repair(confirmed_at=at(day), completed_at=at(day) + timedelta(hours=hours), **kwargs)


def series(count: int, *, first: date = date(2023, 4, 1), hours: float = 2, **kwargs) -> tuple[Repair, ...]:
    return tuple(fixed(first + timedelta(days=10 * i), hours, **kwargs) for i in range(count))


def tuned(terms=None, *, options=None, components=None, exclusions=None, **params):
    terms = terms or preset("car_2021")
    return replace(
        terms,
        params={**terms.params, **params},
        options={**terms.options, **(options or {})},
        components=terms.components if components is None else components,
        exclusions=terms.exclusions if exclusions is None else exclusions,
    )


def results(terms=None, *, claim, usage, fault=NO_FAULT, history=(), facts=FACTS):
    evaluation = evaluate(
        terms or preset("car_2021"), facts, claim_date=claim, usage=usage, fault=fault, history=history
    )
    return evaluation.results


def rules(**kwargs) -> list[str]:
    return [result.rule for result in results(**kwargs)]


def day(offset: int) -> date:
    return S + timedelta(days=offset)


# CAR-22: d ≤ 7 days (start day not counted), no usage limit, the fault needs an assembly replaced.
@pytest.mark.parametrize(
    ("terms", "facts", "claim", "usage", "needs", "fires"),
    [
        pytest.param(None, FACTS, day(7), 100, True, True, id="day-7-fires"),
        pytest.param(None, FACTS, day(8), 100, True, False, id="day-8-too-late"),
        pytest.param(None, FACTS, day(0), 0, True, True, id="start-day"),
        pytest.param(None, FACTS, day(7), 20000, True, True, id="no-usage-limit"),
        pytest.param(None, FACTS, day(3), 100, False, False, id="no-assembly-replacement-needed"),
        pytest.param(None, DELIVERED_LATER, date(2023, 3, 12), 100, True, True, id="7-days-after-delivery"),
        pytest.param(None, DELIVERED_LATER, date(2023, 3, 13), 100, True, False, id="8-days-after-delivery"),
        pytest.param(tuned(refund_days=10), FACTS, day(10), 100, True, True, id="longer-promise-10-days"),
    ],
)
def test_car22_refund_within_7_days(terms, facts, claim, usage, needs, fires):
    fired = rules(terms=terms, facts=facts, claim=claim, usage=usage, fault=Fault(needs_assembly_replacement=needs))
    assert ("CAR-22" in fired) is fires


# CAR-23: d ≤ 60 days and ≤ 3,000 km, and one of five failures.
@pytest.mark.parametrize(
    ("claim", "usage", "failures", "fires"),
    [
        pytest.param(day(60), 3000, ("steering",), True, id="day-60-3000km-fires"),
        pytest.param(day(61), 3000, ("steering",), False, id="day-61-too-late"),
        pytest.param(day(60), 3001, ("steering",), False, id="3001km-too-far"),
        pytest.param(day(10), 100, ("brakes",), True, id="brakes"),
        pytest.param(day(10), 100, ("body_cracking",), True, id="body-cracking"),
        pytest.param(day(10), 100, ("fuel_leak",), True, id="fuel-leak"),
        pytest.param(day(10), 100, ("battery_fire",), True, id="battery-fire"),
        pytest.param(day(10), 100, (), False, id="other-fault"),
    ],
)
def test_car23_early_serious_failure(claim, usage, failures, fires):
    assert ("CAR-23" in rules(claim=claim, usage=usage, fault=Fault(failure_types=failures))) is fires


# CAR-20: d ≤ 60 days and ≤ 3,000 km and a main-part defect of an assembly (any of the four in 2021).
@pytest.mark.parametrize(
    ("claim", "usage", "component", "defect", "fires"),
    [
        pytest.param(day(60), 3000, "engine", True, True, id="day-60-3000km-fires"),
        pytest.param(day(61), 3000, "engine", True, False, id="day-61-too-late"),
        pytest.param(day(60), 3001, "engine", True, False, id="3001km-too-far"),
        pytest.param(day(10), 100, "transmission", True, True, id="transmission"),
        pytest.param(day(10), 100, "power_battery", True, True, id="power-battery"),
        pytest.param(day(10), 100, "drive_motor", True, True, id="drive-motor"),
        pytest.param(day(10), 100, "", True, True, id="unnamed-assembly"),
        pytest.param(day(10), 100, "steering", True, False, id="steering-is-no-assembly"),
        pytest.param(day(10), 100, "engine", False, False, id="no-main-part-defect"),
    ],
)
def test_car20_free_assembly_replacement(claim, usage, component, defect, fires):
    fault = Fault(component=component, assembly_main_part_defect=defect)
    fired = results(claim=claim, usage=usage, fault=fault)
    matching = [result for result in fired if result.rule == "CAR-20"]
    assert bool(matching) is fires
    if fires:
        assert matching[0].options == ("FREE_ASSEMBLY_REPLACEMENT",)


SERIOUS = series(2, serious_safety=True, problem_code="brake_loss")


# CAR-24-1: ≥ 2 earlier serious-safety repairs and the fault persists or a new serious one appears.
@pytest.mark.parametrize(
    ("terms", "history", "fault", "fires"),
    [
        pytest.param(None, SERIOUS, Fault(serious_fault_persists=True), True, id="2-repairs-persists"),
        pytest.param(None, SERIOUS[:1], Fault(serious_fault_persists=True), False, id="1-repair-not-enough"),
        pytest.param(None, SERIOUS, Fault(serious_safety=True), True, id="2-repairs-new-serious-fault"),
        pytest.param(None, SERIOUS, Fault(), False, id="2-repairs-but-fixed"),
        pytest.param(
            None,
            (SERIOUS[0], replace(SERIOUS[1], quality_problem=False)),
            Fault(serious_fault_persists=True),
            False,
            id="non-quality-repair-not-counted",
        ),
        pytest.param(
            tuned(exclusions=("brake_loss",)),
            SERIOUS,
            Fault(serious_fault_persists=True, problem_code="other"),
            False,
            id="excluded-cause-not-counted",
        ),
    ],
)
def test_car24_1_serious_safety_repairs(terms, history, fault, fires):
    assert ("CAR-24-1" in rules(terms=terms, claim=C24, usage=20000, fault=fault, history=history)) is fires


def swaps(*per_repair, **kwargs) -> tuple[Repair, ...]:
    """One repair per entry; each entry lists the assemblies replaced in that repair."""
    return tuple(
        fixed(date(2023, 4, 1) + timedelta(days=10 * i), assemblies_replaced=codes, problem_code=f"P{i}", **kwargs)
        for i, codes in enumerate(per_repair)
    )


BATTERY_TERMS = tuned(
    components=(*preset("car_2021").components, ComponentTerm("battery", "assembly", system="power_battery"))
)


# CAR-24-2: the same assembly replaced ≥ 2 times and the car still cannot be used normally.
@pytest.mark.parametrize(
    ("terms", "history", "unusable", "fires"),
    [
        pytest.param(None, swaps(("engine",), ("engine",)), True, True, id="engine-twice"),
        pytest.param(None, swaps(("engine",)), True, False, id="engine-once"),
        pytest.param(None, swaps(("engine",), ("engine",)), False, False, id="engine-twice-but-usable"),
        pytest.param(None, swaps(("engine",), ("transmission",)), True, False, id="per-assembly-1-each"),
        pytest.param(
            tuned(options={"car_24_2_counting": "all"}),
            swaps(("engine",), ("transmission",)),
            True,
            True,
            id="all-assemblies-together-2",
        ),
        pytest.param(BATTERY_TERMS, swaps(("battery",), ("battery",)), True, True, id="code-mapped-to-power-battery"),
        pytest.param(None, swaps(("steering",), ("steering",)), True, False, id="steering-is-no-assembly"),
    ],
)
def test_car24_2_same_assembly_replaced_twice(terms, history, unusable, fires):
    fired = rules(terms=terms, claim=C24, usage=20000, fault=Fault(still_unusable=unusable), history=history)
    assert ("CAR-24-2" in fired) is fires


def parts(*per_repair, assemblies=()) -> tuple[Repair, ...]:
    """One repair per entry of (system, part) pairs; ``assemblies`` adds assembly swaps as further repairs."""
    main = [
        fixed(date(2023, 4, 1) + timedelta(days=10 * i), main_parts_replaced=pairs, problem_code=f"M{i}")
        for i, pairs in enumerate(per_repair)
    ]
    swapped = [
        fixed(date(2023, 9, 1) + timedelta(days=10 * i), assemblies_replaced=(code,), problem_code=f"A{i}")
        for i, code in enumerate(assemblies)
    ]
    return tuple(main + swapped)


CALIPER = (("brake", "caliper"),)


# CAR-24-3: the same main part of an Art 24(3) system replaced ≥ 2 times, assembly swaps not counted.
@pytest.mark.parametrize(
    ("history", "unusable", "fires"),
    [
        pytest.param(parts(CALIPER, CALIPER), True, True, id="caliper-twice"),
        pytest.param(parts(CALIPER), True, False, id="caliper-once"),
        pytest.param(parts(CALIPER, (("brake", "pad"),)), True, False, id="two-different-parts"),
        pytest.param(parts(CALIPER, CALIPER), False, False, id="caliper-twice-but-usable"),
        pytest.param(parts((("engine", "crankshaft"),), assemblies=("engine",)), True, False, id="swap-plus-part"),
        pytest.param(parts(assemblies=("engine", "engine")), True, False, id="assembly-swaps-not-counted"),
        pytest.param(parts((("emission", "catalyst"),), (("emission", "catalyst"),)), True, True, id="emission-system"),
        pytest.param(parts((("driveline", "shaft"),), (("driveline", "shaft"),)), True, True, id="driveline-system"),
        pytest.param(parts((("axle", "beam"),), (("axle", "beam"),)), True, False, id="axle-is-2013-only"),
    ],
)
def test_car24_3_same_main_part_replaced_twice(history, unusable, fires):
    fired = rules(claim=C24, usage=20000, fault=Fault(still_unusable=unusable), history=history)
    assert ("CAR-24-3" in fired) is fires


def long_repairs(*hours, excluded="0", **kwargs) -> tuple[Repair, ...]:
    """Repairs of different problems (so CAR-24-4b stays quiet), each lasting the given hours."""
    return tuple(
        fixed(
            date(2023, 4, 1) + timedelta(days=20 * i),
            h,
            problem_code=f"D{i}",
            excluded_hours=Decimal(excluded),
            **kwargs,
        )
        for i, h in enumerate(hours)
    )


# CAR-24-4a: cumulative repair days > 30, i.e. ≥ 31; per repair ceil((hours − excluded) / 24).
@pytest.mark.parametrize(
    ("terms", "history", "fault", "total", "fires"),
    [
        pytest.param(None, long_repairs(720), Fault(), 30, False, id="720h-is-30-days"),
        pytest.param(None, long_repairs(721), Fault(), 31, True, id="721h-is-31-days"),
        pytest.param(None, long_repairs(721, excluded="1"), Fault(), 30, False, id="excluded-hours-removed"),
        pytest.param(None, long_repairs(744, excluded="1"), Fault(), 31, True, id="subtract-then-round"),
        pytest.param(
            tuned(options={"net_repair_time": "round_then_subtract"}),
            long_repairs(744, excluded="1"),
            Fault(),
            30,
            False,
            id="round-then-subtract",
        ),
        pytest.param(None, long_repairs(*[25] * 15), Fault(), 30, False, id="15-times-25h-is-30-days"),
        pytest.param(None, long_repairs(*[25] * 15, 1), Fault(), 31, True, id="plus-1h-is-31-days"),
        pytest.param(None, long_repairs(721, quality_problem=False), Fault(), 0, False, id="non-quality-not-counted"),
        # 696 h = 29 days; the current repair since 10:00 on the claim date runs to midnight: 14 h = 1 day.
        pytest.param(None, long_repairs(696), Fault(handed_in_at=at(C24, 10)), 30, False, id="current-1-day-30"),
        pytest.param(
            None, long_repairs(696), Fault(handed_in_at=at(C24, 10) - timedelta(days=1)), 31, True, id="current-2-days"
        ),
    ],
)
def test_car24_4a_cumulative_repair_days(terms, history, fault, total, fires):
    evaluation = evaluate(terms or preset("car_2021"), FACTS, claim_date=C24, usage=20000, fault=fault, history=history)
    assert evaluation.repair_days_total == total
    assert ("CAR-24-4a" in [result.rule for result in evaluation.results]) is fires


# CAR-24-4b: the same problem repaired > 4 times: the 5th repair fires it.
@pytest.mark.parametrize(
    ("history", "facts", "fault", "fires"),
    [
        pytest.param(series(4, problem_code="P1"), FACTS, Fault(problem_code="P1"), False, id="4-repairs"),
        pytest.param(series(5, problem_code="P1"), FACTS, Fault(problem_code="P1"), True, id="5th-repair-fires"),
        pytest.param(
            series(5, problem_code="P1"), FACTS, Fault(problem_code="P2"), True, id="right-stays-on-other-fault"
        ),
        pytest.param(
            series(4, problem_code="P1") + series(1, first=date(2023, 12, 1), problem_code="P2"),
            FACTS,
            Fault(problem_code="P1"),
            False,
            id="4-plus-1-other-problem",
        ),
        pytest.param(
            series(4, problem_code="P1") + series(1, first=date(2023, 12, 1), problem_code="P1", quality_problem=False),
            FACTS,
            Fault(problem_code="P1"),
            False,
            id="non-quality-repair-not-counted",
        ),
        pytest.param(
            series(4, problem_code="P1") + series(1, first=C24 + timedelta(days=1), problem_code="P1"),
            FACTS,
            Fault(problem_code="P1"),
            False,
            id="repair-after-claim-not-counted",
        ),
        pytest.param(
            series(5, problem_code="P1"),
            replace(FACTS, replaced_on=date(2023, 12, 1)),
            Fault(problem_code="P1"),
            False,
            id="exchange-restarts-the-tally",
        ),
    ],
)
def test_car24_4b_same_problem_more_than_4_times(history, facts, fault, fires):
    assert ("CAR-24-4b" in rules(facts=facts, claim=C24, usage=20000, fault=fault, history=history)) is fires


# Every CAR-24 rule needs the 三包有效期: 2 years (to 2025-03-01) / 50,000 km, whichever first.
@pytest.mark.parametrize(
    ("claim", "usage", "fires"),
    [
        pytest.param(date(2025, 3, 1), 20000, True, id="last-day-of-2-years"),
        pytest.param(date(2025, 3, 2), 20000, False, id="day-after-2-years"),
        pytest.param(C24, 50000, True, id="50000-km"),
        pytest.param(C24, 50001, False, id="50001-km"),
    ],
)
def test_car24_needs_sanbao_period(claim, usage, fires):
    fired = rules(claim=claim, usage=usage, fault=Fault(problem_code="P1"), history=series(5, problem_code="P1"))
    assert ("CAR-24-4b" in fired) is fires
    assert "CAR-19" in fired  # the 包修期 (3 years / 60,000 km) still runs


WIPER = ComponentTerm("wiper", "wear_part", months=6, usage_limit=10000)
LONG_BATTERY = ComponentTerm("power_battery", "assembly", months=96, usage_limit=150000, system="power_battery")


# CAR-19: free repair within the 包修期 (3 years to 2026-03-01 / 60,000 km) or the failed part's own period.
@pytest.mark.parametrize(
    ("components", "component", "claim", "usage", "expected"),
    [
        pytest.param(None, "", date(2026, 3, 1), 60000, "CAR-19", id="last-day-60000km"),
        pytest.param(None, "", date(2026, 3, 2), 100, "CAR-OUT", id="day-after-3-years"),
        pytest.param(None, "", date(2024, 1, 1), 60001, "CAR-OUT", id="60001km"),
        pytest.param(None, "", day(1), 60001, "CAR-OUT", id="km-first-whichever-comes-first"),
        pytest.param((WIPER,), "wiper", date(2023, 9, 1), 5000, "CAR-19", id="wear-part-6-months"),
        pytest.param((WIPER,), "wiper", date(2023, 9, 2), 5000, "CAR-OUT", id="wear-part-expired"),
        pytest.param((WIPER,), "wiper", date(2023, 5, 1), 10001, "CAR-OUT", id="wear-part-km-exceeded"),
        pytest.param((LONG_BATTERY,), "power_battery", date(2031, 3, 1), 140000, "CAR-19", id="8-year-battery"),
        pytest.param((LONG_BATTERY,), "power_battery", date(2031, 3, 2), 140000, "CAR-OUT", id="battery-after-8y"),
    ],
)
def test_car19_free_repair_within_repair_period(components, component, claim, usage, expected):
    terms = tuned(components=components) if components else None
    fired = results(terms=terms, claim=claim, usage=usage, fault=Fault(component=component))
    assert [result.rule for result in fired] == [expected]
    assert fired[0].options == (("FREE_REPAIR",) if expected == "CAR-19" else ("PAID_REPAIR",))


HANDED_IN = datetime(2023, 5, 1, 10, 0)


# CAR-21: one repair lasting > 5 days (> 120 h) gives a substitute car from day 6.
@pytest.mark.parametrize(
    ("facts", "claim", "assessed_at", "fires"),
    [
        # Without an assessment time the repair runs to the end of the claim date.
        pytest.param(FACTS, date(2023, 5, 5), None, False, id="to-end-of-may-5-is-110h-5-days"),
        pytest.param(FACTS, date(2023, 5, 6), None, True, id="to-end-of-may-6-is-134h-6-days"),
        pytest.param(FACTS, date(2023, 5, 6), datetime(2023, 5, 6, 10, 0), False, id="exactly-120h"),
        pytest.param(FACTS, date(2023, 5, 6), datetime(2023, 5, 6, 10, 1), True, id="120h-and-1-minute"),
        pytest.param(
            replace(FACTS, invoice_date=date(2020, 4, 30), replaced_on=None),
            date(2023, 5, 6),
            None,
            False,
            id="handed-in-after-repair-period",
        ),
    ],
)
def test_car21_substitute_car_from_day_6(facts, claim, assessed_at, fires):
    terms = tuned(options={"regime_by_start_date": False})
    fault = Fault(handed_in_at=HANDED_IN, assessed_at=assessed_at)
    fired = results(terms=terms, facts=facts, claim=claim, usage=5000, fault=fault)
    substitute = [result for result in fired if result.rule == "CAR-21"]
    assert bool(substitute) is fires
    if fires:
        assert substitute[0].options == ("SUBSTITUTE",)
        assert "day 6" in substitute[0].explanation and "2023-05-06 10:00" in substitute[0].explanation


# CAR-X32: not a quality problem or an excluded cause stops every other rule.
@pytest.mark.parametrize(
    ("terms", "fault"),
    [
        pytest.param(None, Fault(quality_problem=False, needs_assembly_replacement=True), id="not-quality-problem"),
        pytest.param(
            tuned(exclusions=("modified_ecu",)),
            Fault(problem_code="modified_ecu", needs_assembly_replacement=True, failure_types=("brakes",)),
            id="excluded-cause",
        ),
    ],
)
def test_car_x32_excluded_cause_stops_everything(terms, fault):
    # Day 3 at 100 km with 5 repairs of P1: CAR-22, CAR-23, CAR-24-4b and CAR-19 would all fire otherwise.
    fired = results(terms=terms, claim=day(3), usage=100, fault=fault, history=series(5, first=S, problem_code="P1"))
    assert [(result.rule, result.options, result.charge, result.amount) for result in fired] == [
        ("CAR-X32", ("PAID_REPAIR",), "—", None)
    ]


def test_independent_shop_is_not_an_exclusion():
    fired = rules(claim=day(30), usage=1000, fault=Fault(problem_code="independent_shop"))
    assert fired == ["CAR-19"]


def test_order_strongest_first_early_rules():
    # Day 6 at 500 km, in repair since the start day at 08:00 (to the end of day 6: 160 h = 7 days > 5).
    fault = Fault(
        needs_assembly_replacement=True,
        failure_types=("brakes",),
        assembly_main_part_defect=True,
        component="engine",
        handed_in_at=at(S, 8),
    )
    assert rules(claim=day(6), usage=500, fault=fault) == ["CAR-22", "CAR-23", "CAR-20", "CAR-19", "CAR-21"]


def test_order_strongest_first_all_art24_rules():
    # Five repairs of P1, 168 h (7 days) each = 35 days; 1–2 serious with engine swaps, 3–4 caliper swaps.
    history = tuple(
        fixed(
            date(2023, 4, 1) + timedelta(days=20 * i),
            168,
            problem_code="P1",
            serious_safety=i < 2,
            assemblies_replaced=("engine",) if i < 2 else (),
            main_parts_replaced=CALIPER if i in (2, 3) else (),
        )
        for i in range(5)
    )
    fault = Fault(problem_code="P1", serious_fault_persists=True, still_unusable=True)
    fired = results(claim=C24, usage=20000, fault=fault, history=history)
    assert [result.rule for result in fired] == [
        "CAR-24-1",
        "CAR-24-2",
        "CAR-24-3",
        "CAR-24-4a",
        "CAR-24-4b",
        "CAR-19",
    ]
    assert all(result.options == ("REFUND", "EXCHANGE") for result in fired[:5])


# Usage fee (Art 27) = price × km / 1000 × n, rounded half-up to the fen, on CAR-24-* only.
@pytest.mark.parametrize(
    ("price", "usage", "rate", "options", "return_usage", "amount"),
    [
        # 150,000 × 20,000 / 1000 × 0.005 = 15,000.00
        pytest.param("150000", 20000, "0.005", {}, None, Decimal("15000.00"), id="statutory-0.5-percent"),
        # 100,100 × 10 / 1000 × 0.005 = 5.005 → 5.01 (half-up, not half-even)
        pytest.param("100100", 10, "0.005", {}, None, Decimal("5.01"), id="half-up-to-the-fen"),
        # 123,456.78 × 12.345 = 1,524,073.9491; × 0.005 = 7,620.3697 → 7,620.37
        pytest.param("123456.78", 12345, "0.005", {}, None, Decimal("7620.37"), id="odd-price-and-km"),
        # 150,000 × 20 × 0.003 = 9,000.00 (a maker may charge less)
        pytest.param("150000", 20000, "0.003", {}, None, Decimal("9000.00"), id="lower-factor"),
        # reading at return 20,500: 150,000 × 20.5 × 0.005 = 15,375.00
        pytest.param(
            "150000", 20000, "0.005", {"odometer_for_fee": "return"}, 20500, Decimal("15375.00"), id="return-odometer"
        ),
        pytest.param("150000", 20000, "0.005", {"odometer_for_fee": "return"}, None, None, id="return-reading-unknown"),
        pytest.param(None, 20000, "0.005", {}, None, None, id="price-unknown"),
    ],
)
def test_usage_fee_amount(price, usage, rate, options, return_usage, amount):
    terms = tuned(options=options, usage_fee_rate=Decimal(rate))
    facts = replace(FACTS, price=Decimal(price) if price else None)
    fault = Fault(problem_code="P1", return_usage=return_usage)
    fired = results(terms=terms, facts=facts, claim=C24, usage=usage, fault=fault, history=series(5, problem_code="P1"))
    fee = next(result for result in fired if result.rule == "CAR-24-4b")
    assert (fee.charge, fee.amount) == ("usage_fee", amount)
    if amount is not None:
        assert f"{amount:,.2f}" in fee.explanation


def test_early_rules_charge_nothing():
    fault = Fault(needs_assembly_replacement=True, failure_types=("fuel_leak",))
    fired = results(claim=day(2), usage=50, fault=fault)
    assert [(result.rule, result.charge, result.amount) for result in fired[:2]] == [
        ("CAR-22", "none", None),
        ("CAR-23", "none", None),
    ]


def test_explanation_carries_the_numbers():
    fired = results(claim=C24, usage=20000, history=long_repairs(721))
    text = next(result.explanation for result in fired if result.rule == "CAR-24-4a")
    assert "31 days" in text and "30 days" in text and "15,000.00" in text
