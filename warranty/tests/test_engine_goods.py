"""Consumer goods (regime consumer_goods): G-… rules at their boundaries, depreciation and period extension."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from warranty.engine import Fault, Repair, UnitFacts, compute_periods, evaluate, preset

S = date(2023, 3, 1)
FACTS = UnitFacts(invoice_date=S, price=Decimal("4999.00"))
PHONE_S = date(2024, 1, 1)
PHONE_FACTS = UnitFacts(invoice_date=PHONE_S, price=Decimal("2999.00"))
NO_FAULT = Fault()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def fixed(day: date, hours: float = 2, **kwargs) -> Repair:
    return Repair(confirmed_at=at(day), completed_at=at(day) + timedelta(hours=hours), **kwargs)


def tuned(name: str = "catalogue_goods", *, options=None, **params):
    terms = preset(name)
    return replace(terms, params={**terms.params, **params}, options={**terms.options, **(options or {})})


def results(terms=None, *, claim, fault=NO_FAULT, history=(), facts=FACTS):
    terms = terms or preset("catalogue_goods")
    return evaluate(terms, facts, claim_date=claim, usage=None, fault=fault, history=history).results


def rules(**kwargs) -> list[str]:
    return [result.rule for result in results(**kwargs)]


def day(offset: int) -> date:
    return S + timedelta(days=offset)


# G-9: d ≤ 7 → refund, exchange or repair; G-10: 7 < d ≤ 15 → exchange or repair.
@pytest.mark.parametrize(
    ("terms", "offset", "expected"),
    [
        pytest.param(None, 0, ["G-9", "G-FREE"], id="start-day"),
        pytest.param(None, 7, ["G-9", "G-FREE"], id="day-7-refund"),
        pytest.param(None, 8, ["G-10", "G-FREE"], id="day-8-exchange"),
        pytest.param(None, 15, ["G-10", "G-FREE"], id="day-15-exchange"),
        pytest.param(None, 16, ["G-FREE"], id="day-16-repair-only"),
        pytest.param(tuned(refund_days=10, exchange_days=20), 10, ["G-9", "G-FREE"], id="longer-promise-day-10"),
        pytest.param(tuned(refund_days=10, exchange_days=20), 20, ["G-10", "G-FREE"], id="longer-promise-day-20"),
    ],
)
def test_g9_g10_first_days(terms, offset, expected):
    fired = results(terms=terms, claim=day(offset))
    assert [result.rule for result in fired] == expected
    assert (
        fired[0].options
        == {
            "G-9": ("REFUND", "EXCHANGE", "FREE_REPAIR"),
            "G-10": ("EXCHANGE", "FREE_REPAIR"),
            "G-FREE": ("FREE_REPAIR",),
        }[expected[0]]
    )


def two(codes=("P1", "P2"), hours: float = 25, **kwargs) -> tuple[Repair, ...]:
    return tuple(fixed(date(2023, 4, 1) + timedelta(days=20 * i), hours, problem_code=code, **kwargs)
                 for i, code in enumerate(codes))  # fmt: skip


# G-11: repaired ≥ 2 times (per scope) within the period and still not working normally.
@pytest.mark.parametrize(
    ("terms", "history", "fault", "claim", "fires"),
    [
        pytest.param(None, two(("P1",)), Fault(still_unusable=True), date(2023, 9, 1), False, id="1-repair"),
        pytest.param(None, two(), Fault(still_unusable=True), date(2023, 9, 1), True, id="2-repairs-any-fault"),
        pytest.param(None, two(), Fault(), date(2023, 9, 1), False, id="2-repairs-but-working"),
        pytest.param(
            tuned(repair_count_scope="same_problem"),
            two(),
            Fault(problem_code="P1", still_unusable=True),
            date(2023, 9, 1),
            False,
            id="same-problem-scope-2-different",
        ),
        pytest.param(
            tuned(repair_count_scope="same_problem"),
            two(("P1", "P1")),
            Fault(problem_code="P1", still_unusable=True),
            date(2023, 9, 1),
            True,
            id="same-problem-scope-2-same",
        ),
        pytest.param(
            None,
            two(("P1",)) + (fixed(date(2023, 6, 1), problem_code="P3", quality_problem=False),),
            Fault(still_unusable=True),
            date(2023, 9, 1),
            False,
            id="misuse-repair-not-counted",
        ),
        # Two 25 h repairs add 2 + 2 days: the 1-year period runs to 2024-03-05.
        pytest.param(None, two(), Fault(still_unusable=True), date(2024, 3, 5), True, id="last-day-extended"),
        pytest.param(None, two(), Fault(still_unusable=True), date(2024, 3, 6), False, id="after-period"),
    ],
)
def test_g11_exchange_after_two_repairs(terms, history, fault, claim, fires):
    assert ("G-11" in rules(terms=terms, claim=claim, fault=fault, history=history)) is fires


@pytest.mark.parametrize(
    ("terms_name", "facts", "history", "claim", "charge", "amount"),
    [
        # 1 Mar → 1 Sep 2023 = 184 days; two 25 h repairs = 4 days; 4,999.00 × 0.001 × 180 = 899.82
        pytest.param("catalogue_goods", FACTS, two(), date(2023, 9, 1), "depreciation", Decimal("899.82"), id="tv"),
        # 1 Jan → 15 Feb 2024 = 45 days; 49 h + 24 h = 3 + 1 days; 2,999.00 × 0.005 × 41 = 614.795 → 614.80
        pytest.param(
            "mobile_phone",
            PHONE_FACTS,
            (fixed(date(2024, 1, 10), 49, problem_code="P1"), fixed(date(2024, 1, 20), 24, problem_code="P2")),
            date(2024, 2, 15),
            "depreciation",
            Decimal("614.80"),
            id="phone-half-up",
        ),
        pytest.param(
            "catalogue_goods",
            replace(FACTS, same_model_available=False),
            two(),
            date(2023, 9, 1),
            "none",
            None,
            id="no-same-model-no-depreciation",
        ),
        pytest.param(
            "catalogue_goods", replace(FACTS, price=None), two(), date(2023, 9, 1), "depreciation", None, id="no-price"
        ),
    ],
)
def test_g11_depreciation_on_refund(terms_name, facts, history, claim, charge, amount):
    fired = results(
        terms=preset(terms_name), facts=facts, claim=claim, fault=Fault(still_unusable=True), history=history
    )
    g11 = next(result for result in fired if result.rule == "G-11")
    assert (g11.options, g11.charge, g11.amount) == (("EXCHANGE", "REFUND"), charge, amount)
    if amount is not None:
        assert f"{amount:,.2f}" in g11.explanation


def test_parts_wait_hours_added_when_the_option_says_so():
    # One 25 h repair (2 days) with 48 h waiting for parts before it (2 more days under "added").
    history = (fixed(date(2023, 4, 1), 25, problem_code="P1", parts_wait_hours=Decimal(48)),)
    on = date(2023, 5, 1)
    included = compute_periods(preset("catalogue_goods"), FACTS, on=on, usage=None, history=history)
    added = compute_periods(tuned(options={"goods_parts_wait": "added"}), FACTS, on=on, usage=None, history=history)
    assert (included["whole_unit"].end, added["whole_unit"].end) == (date(2024, 3, 3), date(2024, 3, 5))


# The whole unit (1 year) and the picture tube (3 years) both run from 2023-03-01 plus repair days.
@pytest.mark.parametrize(
    ("history", "end", "tube_end"),
    [
        pytest.param((), date(2024, 3, 1), date(2026, 3, 1), id="no-repairs"),
        # 2023-06-01 09:00 → 06-10 10:00 = 217 h = 10 days
        pytest.param(
            (fixed(date(2023, 6, 1), 217, problem_code="P1"),),
            date(2024, 3, 11),
            date(2026, 3, 11),
            id="plus-10-repair-days",
        ),
        # ... then a 30 h (2-day) repair begun on 2024-03-05, inside the extended whole-unit period only
        pytest.param(
            (fixed(date(2023, 6, 1), 217, problem_code="P1"), fixed(date(2024, 3, 5), 30, problem_code="P2")),
            date(2024, 3, 13),
            date(2026, 3, 13),
            id="repair-inside-extension-extends-again",
        ),
        # Begun after the whole unit ended but while the tube's period ran: only the tube's period moves.
        pytest.param(
            (fixed(date(2024, 3, 5), 30, problem_code="P2"),),
            date(2024, 3, 1),
            date(2026, 3, 3),
            id="repair-after-whole-unit-end",
        ),
        pytest.param(
            (fixed(date(2023, 6, 1), 217, problem_code="P1", quality_problem=False),),
            date(2024, 3, 1),
            date(2026, 3, 1),
            id="misuse-repair-no-extension",
        ),
    ],
)
def test_goods_period_extended_by_repair_days(history, end, tube_end):
    periods = compute_periods(preset("catalogue_goods"), FACTS, on=date(2024, 3, 20), usage=None, history=history)
    assert (periods["whole_unit"].end, periods["component:picture_tube"].end) == (end, tube_end)


HANDED_IN = datetime(2023, 5, 1, 10, 0)


def in_repair(terms, *, hours: float, party: str = "", minutes: int = 0, handed_in: datetime = HANDED_IN):
    assessed = handed_in + timedelta(hours=hours, minutes=minutes)
    fault = Fault(handed_in_at=handed_in, parts_wait_party=party, assessed_at=assessed)
    return rules(terms=terms, claim=assessed.date(), fault=fault)


def test_current_repair_rules_need_hand_in_within_the_period():
    # Handed in 2025-01-02, after the 1-year period (to 2024-03-01): the repair is not under 三包.
    fired = in_repair(preset("mobile_phone"), hours=100 * 24, party="producer", handed_in=datetime(2025, 1, 2, 10))
    assert fired == ["G-OUT"]


# G-MAIN: a component within its own period; G-FREE: within the whole-unit period unless the part's own
# (shorter) period is over.
@pytest.mark.parametrize(
    ("terms_name", "facts", "component", "claim", "expected"),
    [
        pytest.param("catalogue_goods", FACTS, "picture_tube", date(2024, 3, 1), ["G-MAIN", "G-FREE"], id="both"),
        pytest.param("catalogue_goods", FACTS, "picture_tube", date(2024, 3, 2), ["G-MAIN"], id="main-part-longer"),
        pytest.param("catalogue_goods", FACTS, "picture_tube", date(2026, 3, 1), ["G-MAIN"], id="main-part-3y"),
        pytest.param("catalogue_goods", FACTS, "picture_tube", date(2026, 3, 2), ["G-OUT"], id="after-3y"),
        pytest.param("catalogue_goods", FACTS, "", date(2024, 3, 2), ["G-OUT"], id="whole-unit-after-1y"),
        pytest.param("mobile_phone", PHONE_FACTS, "battery", date(2024, 7, 1), ["G-MAIN", "G-FREE"], id="battery-6m"),
        pytest.param("mobile_phone", PHONE_FACTS, "battery", date(2024, 7, 2), ["G-OUT"], id="battery-expired"),
        pytest.param("mobile_phone", PHONE_FACTS, "", date(2024, 7, 2), ["G-FREE"], id="handset-1y"),
        pytest.param("mobile_phone", PHONE_FACTS, "headset", date(2024, 4, 2), ["G-OUT"], id="headset-after-3m"),
    ],
)
def test_g_main_and_g_free(terms_name, facts, component, claim, expected):
    fired = results(terms=preset(terms_name), facts=facts, claim=claim, fault=Fault(component=component))
    assert [result.rule for result in fired] == expected
    if expected[0] == "G-MAIN":
        assert fired[0].options == ("FREE_REPAIR", "FREE_PART_REPLACEMENT")


@pytest.mark.parametrize(
    ("terms", "fault"),
    [
        pytest.param(None, Fault(quality_problem=False), id="not-a-performance-fault"),
        pytest.param(
            replace(preset("catalogue_goods"), exclusions=("dropped",)),
            Fault(problem_code="dropped", still_unusable=True),
            id="excluded-cause",
        ),
    ],
)
def test_g_x_exclusion_stops_everything(terms, fault):
    # Day 3 after two repairs: G-9, G-11 and G-FREE would fire otherwise.
    history = (fixed(S, 2, problem_code="P1"), fixed(day(1), 2, problem_code="P2"))
    fired = results(terms=terms, claim=day(3), fault=fault, history=history)
    assert [(result.rule, result.options, result.charge) for result in fired] == [("G-X", ("PAID_REPAIR",), "—")]


def test_exchange_restarts_the_periods():
    facts = replace(FACTS, replaced_on=date(2023, 12, 1))
    evaluation = evaluate(preset("catalogue_goods"), facts, claim_date=date(2023, 12, 8), usage=None, fault=NO_FAULT)
    assert (evaluation.start_date, evaluation.start_event) == (date(2023, 12, 1), "replacement")
    assert [result.rule for result in evaluation.results] == ["G-9", "G-FREE"]


def test_order_strongest_first():
    history = (fixed(date(2024, 1, 10), 2, problem_code="P1"), fixed(date(2024, 1, 20), 2, problem_code="P2"))
    # In repair since 1 March 10:00, assessed 61 days later: parts from the producer missing, loaner due.
    fault = Fault(
        still_unusable=True,
        component="battery",
        handed_in_at=datetime(2024, 3, 1, 10),
        parts_wait_party="producer",
        assessed_at=datetime(2024, 5, 1, 10, 1),
    )
    fired = results(
        terms=preset("mobile_phone"), facts=PHONE_FACTS, claim=date(2024, 5, 1), fault=fault, history=history
    )
    assert [result.rule for result in fired] == ["G-11", "G-12a", "G-MAIN", "G-FREE", "G-BK"]
