"""What a refund depends on, as engine input: the refund date, whether the same model is still available, and
which exclusion applies (G-X, CAR-X32, K-X name it)."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from warranty.engine import EXCLUSIONS, EngineError, Fault, Repair, UnitFacts, evaluate, preset
from warranty.engine.explain import EXCLUSION_LABELS

S = date(2023, 3, 1)
TV = UnitFacts(invoice_date=S, price=Decimal("4999.00"))
CAR = UnitFacts(invoice_date=S, price=Decimal("150000"))
CONTRACT = UnitFacts(acceptance_date=S)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def two_repairs() -> tuple[Repair, ...]:
    # Two 25 h repairs (2 + 2 days in repair).
    return tuple(
        Repair(
            confirmed_at=datetime(2023, 4, 1, 9) + timedelta(days=20 * i),
            completed_at=datetime(2023, 4, 2, 10) + timedelta(days=20 * i),
            problem_code=f"P{i}",
        )
        for i in range(2)
    )


def g11(facts=TV, *, claim=date(2023, 9, 1), **fault):
    evaluation = evaluate(
        preset("catalogue_goods"),
        facts,
        claim_date=claim,
        usage=None,
        fault=Fault(still_unusable=True, **fault),
        history=two_repairs(),
    )
    return evaluation, next(result for result in evaluation.results if result.rule == "G-11")


@pytest.mark.parametrize(
    ("refund_date", "owned", "amount"),
    [
        # 1 Mar → 1 Sep 2023 = 184 days owned, less 4 in repair: 4,999.00 × 0.1 % × 180 = 899.82
        pytest.param(None, 184, Decimal("899.82"), id="default-claim-date"),
        pytest.param(date(2023, 9, 1), 184, Decimal("899.82"), id="refund-on-claim-date"),
        # 1 Mar → 11 Sep 2023 = 194 days, less 4: 4,999.00 × 0.1 % × 190 = 949.81
        pytest.param(date(2023, 9, 11), 194, Decimal("949.81"), id="refund-ten-days-later"),
    ],
)
def test_refund_depreciation_counts_to_the_refund_date(refund_date, owned, amount):
    evaluation, result = g11(refund_date=refund_date)
    assert (result.charge, result.amount) == ("depreciation", amount)
    assert f"{owned} days owned less 4 days in repair" in result.explanation
    assert evaluation.refund_date == (refund_date or date(2023, 9, 1))


@pytest.mark.parametrize(
    ("available", "charge", "amount"),
    [
        pytest.param(True, "depreciation", Decimal("949.81"), id="same-model-available"),
        pytest.param(False, "none", None, id="no-same-model-no-depreciation"),
    ],
)
def test_refund_depreciation_only_when_the_same_model_is_available(available, charge, amount):
    _evaluation, result = g11(replace(TV, same_model_available=available), refund_date=date(2023, 9, 11))
    assert (result.options, result.charge, result.amount) == (("EXCHANGE", "REFUND"), charge, amount)


@pytest.mark.parametrize(
    ("refund_date", "code"),
    [
        pytest.param(date(2023, 2, 28), "refund_before_invoice", id="before-invoice"),
        pytest.param(date(2023, 8, 31), "refund_before_claim", id="before-claim"),
    ],
)
def test_refund_date_before_invoice_or_claim_is_refused(refund_date, code):
    with pytest.raises(EngineError) as error:
        g11(refund_date=refund_date)
    assert (error.value.code, error.value.field) == (code, "refund_date")


def test_refund_date_is_reported_only_for_goods():
    fault = Fault(refund_date=date(2023, 6, 10))
    car = evaluate(preset("car_2021"), CAR, claim_date=date(2023, 6, 1), usage=100, fault=fault)
    assert car.refund_date is None


def test_every_exclusion_code_has_a_label():
    codes = {code for regime_codes in EXCLUSIONS.values() for code in regime_codes}
    assert codes == set(EXCLUSION_LABELS)
    assert EXCLUSIONS["consumer_goods"] == (
        "misuse",
        "unauthorised_disassembly",
        "no_certificate_or_invoice",
        "altered_certificate",
        "force_majeure",
    )
    assert "independent_shop" not in EXCLUSIONS["car_2021"]


def excluded(terms, facts, claim, usage, exclusion, **fault):
    fault = Fault(exclusion=exclusion, **fault)
    return evaluate(terms, facts, claim_date=claim, usage=usage, fault=fault).results


@pytest.mark.parametrize(
    ("exclusion", "label"),
    [
        ("misuse", "use, maintenance or storage not as instructed"),
        ("unauthorised_disassembly", "disassembly or repair by someone other than the authorised repairer"),
        ("no_certificate_or_invoice", "no 三包凭证 and no valid invoice"),
        ("altered_certificate", "the 三包凭证 does not match the product or has been altered"),
        ("force_majeure", "force majeure"),
    ],
)
def test_goods_exclusion_stops_everything_and_is_named(exclusion, label):
    # Day 3 after the sale with a performance fault: G-9 and G-FREE would fire otherwise.
    fired = excluded(preset("catalogue_goods"), TV, S + timedelta(days=3), None, exclusion)
    assert [(result.rule, result.options, result.charge) for result in fired] == [("G-X", ("PAID_REPAIR",), "—")]
    assert f"The cause ({label}) is excluded from 三包" in fired[0].explanation


@pytest.mark.parametrize(
    ("regime", "exclusion", "expected"),
    [
        pytest.param("consumer_goods", "misuse", "故障原因（使用、维护、保管不当）不在三包范围内", id="goods"),
        pytest.param("car_2021", "prohibited_modification", "自行改装、调整、拆卸", id="car"),
        pytest.param("contract", "software", "病毒或操作系统问题", id="contract"),
    ],
)
def test_exclusion_is_named_in_chinese(regime, exclusion, expected):
    terms, facts, usage = {
        "consumer_goods": (preset("catalogue_goods"), TV, None),
        "car_2021": (preset("car_2021"), CAR, 100),
        "contract": (preset("contract"), CONTRACT, None),
    }[regime]
    with translation.override("zh-hans"):
        fired = excluded(terms, facts, S + timedelta(days=3), usage, exclusion)
    assert expected in fired[0].explanation


@pytest.mark.parametrize(
    ("terms", "facts", "usage", "exclusion", "rule", "named"),
    [
        pytest.param(
            preset("car_2021"), CAR, 100, "disclosed_defect", "CAR-X32", "a defect disclosed in writing", id="car"
        ),
        pytest.param(
            replace(preset("car_2013"), options={**preset("car_2013").options, "regime_by_start_date": False}),
            CAR,
            100,
            "improper_handling",
            "CAR13-X32",
            "improper handling",
            id="car-2013",
        ),
        pytest.param(preset("contract"), CONTRACT, None, "site_environment", "K-X", "unsuitable site", id="contract"),
    ],
)
def test_car_and_contract_exclusions_are_named(terms, facts, usage, exclusion, rule, named):
    fired = excluded(terms, facts, S + timedelta(days=3), usage, exclusion, needs_assembly_replacement=True)
    assert [result.rule for result in fired] == [rule]
    assert named in fired[0].explanation


def test_exclusion_with_problem_code_names_both():
    fired = excluded(preset("catalogue_goods"), TV, S + timedelta(days=3), None, "misuse", problem_code="DROPPED")
    assert "(use, maintenance or storage not as instructed, DROPPED)" in fired[0].explanation


@pytest.mark.parametrize(
    ("terms", "facts", "usage", "exclusion"),
    [
        pytest.param(preset("catalogue_goods"), TV, None, "disclosed_defect", id="car-exclusion-for-goods"),
        pytest.param(preset("car_2021"), CAR, 100, "independent_shop", id="independent-shop-is-no-exclusion"),
        pytest.param(preset("car_2021"), CAR, 100, "no_certificate_or_invoice", id="goods-exclusion-for-a-car"),
        pytest.param(preset("contract"), CONTRACT, None, "dropped", id="unknown-word"),
    ],
)
def test_exclusion_unknown_to_the_regime_is_refused(terms, facts, usage, exclusion):
    with pytest.raises(EngineError) as error:
        excluded(terms, facts, S + timedelta(days=3), usage, exclusion)
    assert (error.value.code, error.value.field) == ("unknown_exclusion", "exclusion")
