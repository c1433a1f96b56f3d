"""Contract warranties (regime contract): K-… rules at their boundaries."""

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from django.utils import translation

from warranty.engine import ComponentTerm, Fault, Repair, UnitFacts, compute_periods, evaluate, preset

ACCEPTED = date(2023, 2, 15)  # the preset starts at acceptance sign-off: whole unit to 2024-02-15
FACTS = UnitFacts(invoice_date=date(2023, 1, 10), acceptance_date=ACCEPTED)
COMPRESSOR = ComponentTerm("compressor", "main_part", months=36)
LAMP = ComponentTerm("lamp", "consumable", months=6)
NO_FAULT = Fault()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def terms(*, usage=None, **params):
    base = preset("contract")
    return replace(base, whole_unit_usage=usage, components=(COMPRESSOR, LAMP), params={**base.params, **params})


def fixed(day: date, hours: float = 2, **kwargs) -> Repair:
    start = datetime(day.year, day.month, day.day, 9)
    return Repair(confirmed_at=start, completed_at=start + timedelta(hours=hours), **kwargs)


def repaired(*codes: str) -> tuple[Repair, ...]:
    """One repair per code, oldest first, a fortnight apart from 1 April 2023."""
    return tuple(fixed(date(2023, 4, 1) + timedelta(days=14 * i), problem_code=code) for i, code in enumerate(codes))


def results(contract=None, *, claim, usage=None, fault=NO_FAULT, history=()):
    return evaluate(contract or terms(), FACTS, claim_date=claim, usage=usage, fault=fault, history=history).results


def rules(**kwargs) -> list[str]:
    return [result.rule for result in results(**kwargs)]


# K-REPEAT: the same fault repaired N (3) consecutive times and failing again → exchange.
@pytest.mark.parametrize(
    ("contract", "history", "claim", "fires"),
    [
        pytest.param(None, repaired("F1", "F1"), date(2023, 9, 1), False, id="2-in-a-row"),
        pytest.param(None, repaired("F1", "F1", "F1"), date(2023, 9, 1), True, id="3-in-a-row"),
        pytest.param(None, repaired("F1", "F2", "F1", "F1"), date(2023, 9, 1), False, id="interrupted-run"),
        pytest.param(None, repaired("F2", "F1", "F1", "F1"), date(2023, 9, 1), True, id="run-after-other-fault"),
        pytest.param(None, repaired("F1", "F1", "F1", "F2"), date(2023, 9, 1), False, id="last-repair-other-fault"),
        pytest.param(terms(repeat_repairs=2), repaired("F1", "F1"), date(2023, 9, 1), True, id="contract-says-2"),
        pytest.param(None, repaired("F1", "F1", "F1"), date(2024, 2, 16), False, id="after-warranty"),
    ],
)
def test_k_repeat(contract, history, claim, fires):
    fired = results(contract, claim=claim, fault=Fault(problem_code="F1"), history=history)
    repeat = [result for result in fired if result.rule == "K-REPEAT"]
    assert bool(repeat) is fires
    if fires:
        assert (repeat[0].options, repeat[0].charge) == (("EXCHANGE",), "none")


@pytest.mark.parametrize(
    ("component", "claim", "expected"),
    [
        pytest.param("", date(2024, 2, 15), ["K-FREE"], id="whole-unit-last-day"),
        pytest.param("", date(2024, 2, 16), ["K-OUT"], id="whole-unit-day-after"),
        pytest.param("compressor", date(2024, 2, 15), ["K-COMP", "K-FREE"], id="component-and-whole-unit"),
        pytest.param("compressor", date(2026, 2, 15), ["K-COMP"], id="component-3-years"),
        pytest.param("compressor", date(2026, 2, 16), ["K-OUT"], id="component-after-3-years"),
        pytest.param("lamp", date(2023, 8, 15), ["K-COMP", "K-FREE"], id="lamp-6-months"),
        pytest.param("lamp", date(2023, 8, 16), ["K-OUT"], id="lamp-expired-within-whole-unit"),
        pytest.param("panel", date(2023, 8, 16), ["K-FREE"], id="unlisted-part-follows-unit"),
    ],
)
def test_k_comp_k_free_k_out(component, claim, expected):
    fired = results(claim=claim, fault=Fault(component=component))
    assert [result.rule for result in fired] == expected
    assert (
        fired[0].options
        == {
            "K-COMP": ("FREE_REPAIR", "FREE_PART_REPLACEMENT"),
            "K-FREE": ("FREE_REPAIR",),
            "K-OUT": ("PAID_REPAIR",),
        }[expected[0]]
    )


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        pytest.param(2000, ["K-FREE"], id="2000-hours-inclusive"),
        pytest.param(2001, ["K-OUT"], id="2001-hours-over"),
    ],
)
def test_usage_limited_contract_whichever_first(usage, expected):
    assert rules(contract=terms(usage=2000), claim=date(2023, 6, 1), usage=usage) == expected


@pytest.mark.parametrize(
    ("extend", "end"),
    [
        pytest.param(False, date(2024, 2, 15), id="not-extended-by-default"),
        # 2023-04-01 09:00 + 50 h = 3 days
        pytest.param(True, date(2024, 2, 18), id="extended-when-the-contract-says-so"),
    ],
)
def test_contract_repair_days_extension(extend, end):
    history = (fixed(date(2023, 4, 1), 50, problem_code="F1"),)
    periods = compute_periods(
        terms(extend_by_repair_days=extend), FACTS, on=date(2023, 5, 1), usage=None, history=history
    )
    assert periods["whole_unit"].end == end


@pytest.mark.parametrize(
    ("contract", "fault"),
    [
        pytest.param(None, Fault(quality_problem=False, problem_code="F1"), id="not-a-quality-problem"),
        pytest.param(
            replace(terms(), exclusions=("virus",)), Fault(problem_code="virus", component="compressor"), id="excluded"
        ),
    ],
)
def test_k_x_exclusion_stops_everything(contract, fault):
    fired = results(contract, claim=date(2023, 9, 1), fault=fault, history=repaired("virus", "virus", "virus"))
    assert [(result.rule, result.options, result.charge, result.amount) for result in fired] == [
        ("K-X", ("PAID_REPAIR",), "—", None)
    ]


def test_non_quality_repairs_do_not_count_towards_k_repeat():
    history = repaired("F1", "F1") + (fixed(date(2023, 6, 1), problem_code="F1", quality_problem=False),)
    assert rules(claim=date(2023, 9, 1), fault=Fault(problem_code="F1"), history=history) == ["K-FREE"]


def test_order_strongest_first():
    fired = rules(
        claim=date(2023, 9, 1), fault=Fault(problem_code="F1", component="compressor"), history=repaired(*["F1"] * 3)
    )
    assert fired == ["K-REPEAT", "K-COMP", "K-FREE"]
