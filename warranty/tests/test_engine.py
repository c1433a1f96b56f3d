"""The 三包 engine's public surface: names, presets, refusals of impossible input, invariants of the results."""

import ast
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

import warranty.engine as engine
from warranty.engine import (
    COMPONENT_KINDS,
    PRESETS,
    REGIMES,
    START_EVENTS,
    EngineError,
    Fault,
    Repair,
    UnitFacts,
    evaluate,
    preset,
)

S = date(2023, 3, 1)
CAR = UnitFacts(invoice_date=S, price=Decimal("150000"))
NO_FAULT = Fault()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_public_names_and_vocabularies():
    expected = {
        "ComponentTerm", "Terms", "UnitFacts", "Repair", "Fault", "Period", "RuleResult", "Evaluation",
        "start_date", "compute_periods", "evaluate", "repair_days", "preset", "PRESETS", "validate_terms",
        "EngineError", "REGIMES", "START_EVENTS", "COMPONENT_KINDS",
    }  # fmt: skip
    assert expected <= set(engine.__all__)
    assert all(hasattr(engine, name) for name in engine.__all__)
    assert REGIMES == ("car_2021", "car_2013", "consumer_goods", "contract")
    assert START_EVENTS == ("invoice", "delivery", "installation", "acceptance", "day_after_acceptance")
    assert COMPONENT_KINDS == ("assembly", "main_part", "special_part", "wear_part", "consumable")


def test_presets_are_named_and_explicit():
    assert set(PRESETS) == {"car_2021", "car_2013", "catalogue_goods", "mobile_phone", "microcomputer", "contract"}
    # Every parameter and option is spelled out, so an admin sees the numbers in use.
    car = preset("car_2021")
    assert car.params["cumulative_repair_days"] == 30 and car.params["usage_fee_rate"] == Decimal("0.005")
    assert preset("car_2013").params["cumulative_repair_days"] == 35
    assert preset("mobile_phone").params["loaner_after_days"] == 7
    assert set(car.options) >= {"odometer_for_fee", "car_24_2_counting", "net_repair_time", "holiday_extension"}


def test_preset_returns_an_independent_copy():
    first = preset("car_2021")
    first.params["cumulative_repair_days"] = 1
    assert preset("car_2021").params["cumulative_repair_days"] == 30
    with pytest.raises(FrozenInstanceError):
        first.regime = "contract"


def test_unknown_preset():
    with pytest.raises(EngineError) as error:
        preset("tractor")
    assert error.value.code == "unknown_preset"
    assert isinstance(error.value, ValueError)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        pytest.param({"claim_date": date(2023, 2, 28)}, "claim_before_start", "claim_date", id="claim-before-start"),
        pytest.param({"usage": -1}, "negative_usage", "usage", id="negative-usage"),
        pytest.param({"fault": Fault(return_usage=-5)}, "negative_usage", "return_usage", id="negative-return-usage"),
        pytest.param(
            {"history": (Repair(confirmed_at=at(S), completed_at=at(S), usage=-1),)},
            "negative_usage",
            "history.usage",
            id="negative-repair-usage",
        ),
        pytest.param(
            {"history": (Repair(confirmed_at=at(S, 10), completed_at=at(S, 9)),)},
            "completed_before_confirmed",
            "completed_at",
            id="completed-before-confirmed",
        ),
        pytest.param({"usage": None}, "usage_required", "usage", id="car-needs-usage"),
        pytest.param(
            {"fault": Fault(failure_types=("flat_tyre",))}, "unknown_failure_type", "failure_types", id="fail"
        ),
        pytest.param({"fault": Fault(parts_wait_party="dealer")}, "unknown_wait_party", "parts_wait_party", id="party"),
        pytest.param(
            {"fault": Fault(handed_in_at=at(date(2023, 3, 11)))},
            "handed_in_after_claim",
            "handed_in_at",
            id="handed-in-after-claim",
        ),
        pytest.param(
            {"fault": Fault(handed_in_at=at(S), assessed_at=datetime(2023, 3, 9, tzinfo=UTC))},
            "mixed_time_zones",
            "assessed_at",
            id="naive-and-aware",
        ),
    ],
)
def test_impossible_input_raises_engine_error(kwargs, code, field):
    arguments = {"claim_date": date(2023, 3, 10), "usage": 100, "fault": NO_FAULT, "history": ()} | kwargs
    with pytest.raises(EngineError) as error:
        evaluate(preset("car_2021"), CAR, **arguments)
    assert (error.value.code, error.value.field) == (code, field)


FALLBACKS = {"CAR-OUT", "CAR13-OUT", "G-OUT", "K-OUT", "CAR-X32", "CAR13-X32", "G-X", "K-X"}
GOODS = UnitFacts(invoice_date=S, price=Decimal("999"))
CONTRACT = UnitFacts(acceptance_date=S)


@pytest.mark.parametrize(
    ("name", "facts", "claim", "usage", "fault", "expected"),
    [
        pytest.param("car_2021", CAR, date(2027, 1, 1), 70000, NO_FAULT, ["CAR-OUT"], id="car-out"),
        pytest.param("car_2021", CAR, S, 0, Fault(quality_problem=False), ["CAR-X32"], id="car-x"),
        pytest.param("car_2021", CAR, date(2023, 6, 1), 9000, NO_FAULT, ["CAR-19"], id="car-free"),
        pytest.param("catalogue_goods", GOODS, date(2025, 1, 1), None, NO_FAULT, ["G-OUT"], id="goods-out"),
        pytest.param("catalogue_goods", GOODS, S, None, Fault(quality_problem=False), ["G-X"], id="goods-x"),
        pytest.param("contract", CONTRACT, date(2025, 1, 1), None, NO_FAULT, ["K-OUT"], id="contract-out"),
        pytest.param("contract", CONTRACT, S, None, Fault(quality_problem=False), ["K-X"], id="contract-x"),
    ],
)
def test_exactly_one_fallback_only_when_nothing_else_applies(name, facts, claim, usage, fault, expected):
    results = evaluate(preset(name), facts, claim_date=claim, usage=usage, fault=fault).results
    rules = [result.rule for result in results]
    assert rules == expected
    assert len(results) >= 1
    if FALLBACKS & set(rules):
        assert len(rules) == 1
        assert results[0].options == ("PAID_REPAIR",) and results[0].charge == "—" and results[0].amount is None


def test_evaluation_reports_regime_start_periods_and_repair_days():
    history = (Repair(confirmed_at=at(date(2023, 4, 1)), completed_at=at(date(2023, 4, 1)) + timedelta(hours=25)),)
    evaluation = evaluate(
        preset("car_2021"),
        replace(CAR, delivery_date=date(2023, 3, 4)),
        claim_date=date(2023, 5, 1),
        usage=4000,
        fault=NO_FAULT,
        history=history,
    )
    assert (evaluation.regime, evaluation.start_date, evaluation.start_event) == (
        "car_2021",
        date(2023, 3, 4),
        "delivery",
    )
    assert evaluation.repair_days_total == 2  # 25 h
    assert set(evaluation.periods) >= {"repair_period", "sanbao_period", "return_window", "early_window"}
    assert evaluation.periods["sanbao_period"].end == date(2025, 3, 4)
    assert not evaluation.periods["early_window"].active  # 4,000 km > 3,000 km


def test_explanations_are_translatable_text():
    results = evaluate(preset("car_2021"), CAR, claim_date=date(2023, 6, 1), usage=9000, fault=NO_FAULT).results
    assert "2023-06-01" in results[0].explanation and "9,000 km" in results[0].explanation


ENGINE_DIR = Path(engine.__file__).parent


@pytest.mark.parametrize("path", sorted(ENGINE_DIR.glob("*.py")), ids=lambda path: path.name)
def test_engine_is_pure(path):
    """No ORM, settings, clock or I/O: only django.utils.translation may be imported from Django."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert {name for name in imported if name.startswith("django")} <= {"django.utils.translation"}
    assert not imported & {"os", "time", "io", "pathlib", "requests", "socket"}
    source = path.read_text(encoding="utf-8")
    assert ".now(" not in source and ".today(" not in source and "open(" not in source
