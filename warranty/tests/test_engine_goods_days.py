"""Consumer goods: the day thresholds "自送修之日起超过 N 日" counted as the Civil Code counts them.

G-12a (producer parts missing > N days), G-12b (repairer's own delay > 30 days) and G-BK (loaner after N days):
the hand-in day is not counted (Art 201) and day N runs to 24:00 (Art 203), so the right arises on day N + 1
after the hand-in day, whatever the hour of the hand-in, with dates taken in the business zone.
"""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from warranty.engine import Fault, UnitFacts, evaluate, preset

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
INVOICE = date(2024, 3, 10)
FACTS = UnitFacts(invoice_date=INVOICE, price=Decimal("2999.00"))
HAND_IN_DAY = date(2024, 6, 1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def fixed_phone():
    terms = preset("mobile_phone")
    params = {**terms.params, "product_rules": "fixed_phone", "loaner_after_days": 3}
    return replace(terms, params=params)


THRESHOLDS = {
    # id: (terms, parts_wait_party, rule, N)
    "g12a-catalogue-90": (lambda: preset("catalogue_goods"), "producer", "G-12a", 90),
    "g12a-phone-60": (lambda: preset("mobile_phone"), "producer", "G-12a", 60),
    "g12b-repairer-30": (lambda: preset("catalogue_goods"), "repairer", "G-12b", 30),
    "gbk-mobile-phone-7": (lambda: preset("mobile_phone"), "", "G-BK", 7),
    "gbk-fixed-phone-3": (fixed_phone, "", "G-BK", 3),
}


def evaluation(terms, *, handed_in: datetime, claim: date, party: str = "", zone=SHANGHAI, assessed_at=None):
    fault = Fault(handed_in_at=handed_in, parts_wait_party=party, assessed_at=assessed_at)
    return evaluate(terms, FACTS, claim_date=claim, usage=None, fault=fault, zone=zone)


def fired(result) -> dict:
    return {rule.rule: rule for rule in result.results}


@pytest.mark.parametrize("threshold", THRESHOLDS, ids=str)
@pytest.mark.parametrize(
    "hand_in_time", [(0, 0), (9, 0), (23, 30)], ids=["handed-in-00-00", "handed-in-09-00", "handed-in-23-30"]
)
@pytest.mark.parametrize(("extra", "fires"), [(0, False), (1, True)], ids=["day-N", "day-N-plus-1"])
def test_goods_day_threshold_counts_from_the_day_after_hand_in_fires_on_day_n_plus_1(
    threshold, hand_in_time, extra, fires
):
    make_terms, party, rule, limit = THRESHOLDS[threshold]
    handed_in = datetime.combine(HAND_IN_DAY, datetime.min.time(), tzinfo=SHANGHAI).replace(
        hour=hand_in_time[0], minute=hand_in_time[1]
    )
    claim = HAND_IN_DAY + timedelta(days=limit + extra)
    result = evaluation(make_terms(), handed_in=handed_in, claim=claim, party=party)
    assert result.days_since_hand_in == limit + extra
    assert (rule in fired(result)) is fires
    if fires:
        text = fired(result)[rule].explanation
        assert f"{limit + 1} days since 2024-06-01 {hand_in_time[0]:02d}:{hand_in_time[1]:02d}" in text
        assert f"more than {limit} days" in text


@pytest.mark.parametrize(
    ("claim", "fires"),
    [
        pytest.param(date(2024, 8, 29), False, id="day-89"),
        pytest.param(date(2024, 8, 30), False, id="day-90-runs-to-24-00"),
        pytest.param(date(2024, 8, 31), True, id="day-91"),
    ],
)
def test_goods_g12a_issue_reproduction_parts_wait_over_90_days_fires_from_day_91(claim, fires):
    # The hand-in of the issue: 2024-06-01 09:00 Shanghai. 24 h rounding fired on 2024-08-30 (90 d 15 h → 91).
    handed_in = datetime(2024, 6, 1, 9, tzinfo=SHANGHAI)
    result = evaluation(preset("catalogue_goods"), handed_in=handed_in, claim=claim, party="producer")
    assert ("G-12a" in fired(result)) is fires


@pytest.mark.parametrize(
    ("handed_in", "zone", "claim", "fires"),
    [
        # 2024-05-31 16:10 UTC is 2024-06-01 00:10 in Shanghai: the hand-in day is 1 June there.
        pytest.param(datetime(2024, 5, 31, 16, 10, tzinfo=UTC), SHANGHAI, date(2024, 8, 30), False, id="utc-day-90"),
        pytest.param(datetime(2024, 5, 31, 16, 10, tzinfo=UTC), SHANGHAI, date(2024, 8, 31), True, id="utc-day-91"),
        # 2024-06-01 15:59 UTC is 23:59 in Shanghai, still 1 June.
        pytest.param(datetime(2024, 6, 1, 15, 59, tzinfo=UTC), SHANGHAI, date(2024, 8, 30), False, id="late-utc"),
        # The same moment judged in another business zone falls on 31 May there, so day 91 is 30 August.
        pytest.param(
            datetime(2024, 6, 1, 0, 30, tzinfo=SHANGHAI), BERLIN, date(2024, 8, 30), True, id="other-business-zone"
        ),
        pytest.param(
            datetime(2024, 6, 1, 0, 30, tzinfo=SHANGHAI), SHANGHAI, date(2024, 8, 30), False, id="same-moment-shanghai"
        ),
    ],
)
def test_goods_day_threshold_hand_in_day_is_taken_in_the_business_zone(handed_in, zone, claim, fires):
    result = evaluation(preset("catalogue_goods"), handed_in=handed_in, claim=claim, party="producer", zone=zone)
    assert ("G-12a" in fired(result)) is fires


@pytest.mark.parametrize(
    ("assessed_at", "fires"),
    [
        pytest.param(datetime(2024, 8, 30, 23, 59, tzinfo=SHANGHAI), False, id="day-90-23-59"),
        pytest.param(datetime(2024, 8, 31, 0, 0, tzinfo=SHANGHAI), True, id="day-91-00-00"),
        pytest.param(datetime(2024, 8, 30, 16, 0, tzinfo=UTC), True, id="day-91-given-in-utc"),
    ],
)
def test_goods_day_threshold_assessed_moment_counts_by_its_business_date(assessed_at, fires):
    handed_in = datetime(2024, 6, 1, 9, tzinfo=SHANGHAI)
    result = evaluation(
        preset("catalogue_goods"),
        handed_in=handed_in,
        claim=assessed_at.astimezone(SHANGHAI).date(),
        party="producer",
        assessed_at=assessed_at,
    )
    assert ("G-12a" in fired(result)) is fires


def test_goods_current_repair_still_extends_the_period_by_24h_days():
    # Day 90 after a 09:00 hand-in: 90 calendar days for G-12a, 90 d 15 h = 91 days of repair time, which
    # extends the 1-year period (2025-03-10) to 2025-06-09.
    result = evaluation(
        preset("catalogue_goods"),
        handed_in=datetime(2024, 6, 1, 9, tzinfo=SHANGHAI),
        claim=date(2024, 8, 30),
        party="producer",
    )
    assert (result.days_since_hand_in, result.repair_days_total) == (90, 91)
    assert result.periods["whole_unit"].end == date(2025, 6, 9)
    assert "G-12a" not in fired(result)


def test_goods_day_threshold_without_current_repair_reports_no_days():
    result = evaluate(preset("catalogue_goods"), FACTS, claim_date=date(2024, 8, 31), usage=None, fault=Fault())
    assert result.days_since_hand_in is None
    assert not {"G-12a", "G-12b", "G-BK"} & set(fired(result))


def test_goods_day_threshold_excluded_cause_has_no_current_repair():
    fault = Fault(
        handed_in_at=datetime(2024, 6, 1, 9, tzinfo=SHANGHAI), parts_wait_party="producer", exclusion="misuse"
    )
    result = evaluate(
        preset("catalogue_goods"), FACTS, claim_date=date(2024, 12, 1), usage=None, fault=fault, zone=SHANGHAI
    )
    assert [rule.rule for rule in result.results] == ["G-X"]
    assert result.days_since_hand_in is None
