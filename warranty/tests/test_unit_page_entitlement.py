"""The unit page's hypothetical-fault form: the current repair, the exclusion and the refund inputs."""

from datetime import date

import pytest

from aftersales.roles import Role
from warranty.tests.factories import PolicyFactory, ProductModelFactory, RepairFactory, UnitFactory, version_from_preset

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client, make_user):
    client.force_login(make_user(Role.SERVICE_DESK, language="en", time_zone="Europe/Berlin"))
    return client


@pytest.fixture
def phone(db):
    policy = PolicyFactory(regime="consumer_goods")
    version_from_preset(policy, "mobile_phone")  # parts wait 60 days, loaner after 7, 0.5 % a day
    return UnitFactory(
        product_model=ProductModelFactory(policy=policy), invoice_date=date(2024, 3, 10), price="2000.00"
    )


def ask(client, unit, **values):
    return client.get(f"/units/{unit.serial}/", {"quality_problem": "on", "same_model_available": "on", **values})


def rules(response) -> list[str]:
    return [result.rule for result in response.context["evaluation"].results]


@pytest.mark.parametrize(
    ("claim_date", "fires"),
    [pytest.param("2024-07-31", False, id="day-60"), pytest.param("2024-08-01", True, id="day-61")],
)
def test_unit_page_parts_wait_counts_days_after_the_hand_in_day(desk_client, phone, claim_date, fires):
    # The Berlin agent enters 2024-06-01 03:00 her time: 09:00 in Shanghai, the policy's hand-in day 1 June.
    response = ask(
        desk_client, phone, claim_date=claim_date, handed_in_at="2024-06-01T03:00", parts_wait_party="producer"
    )
    assert response.status_code == 200
    assert ("G-12a" in rules(response)) is fires
    assert "G-BK" in rules(response)
    page = response.content.decode()
    assert 'data-testid="days-since-hand-in"' in page
    assert f"Days since the hand-in day (not counted): {60 + fires}" in page


def test_unit_page_exclusion_names_it(desk_client, phone):
    response = ask(desk_client, phone, claim_date="2024-03-12", exclusion="misuse")
    assert rules(response) == ["G-X"]
    assert "use, maintenance or storage not as instructed" in response.content.decode()


@pytest.mark.parametrize(
    ("same_model", "refund_date", "charge", "amount"),
    [
        # 2024-03-10 → 2024-05-01: 52 days owned, less 2 days in repair: 2,000.00 × 0.5 % × 50 = 500.00
        pytest.param("on", "", "depreciation", "500.00", id="available-claim-date"),
        # → 2024-05-11: 62 days less 2: 2,000.00 × 0.5 % × 60 = 600.00
        pytest.param("on", "2024-05-11", "depreciation", "600.00", id="available-later-refund"),
        pytest.param("", "2024-05-11", "none", None, id="not-available"),
    ],
)
def test_unit_page_refund_inputs_decide_depreciation(desk_client, phone, same_model, refund_date, charge, amount):
    for day in (1, 10):
        RepairFactory(
            unit=phone,
            problem_code="NO-SIGNAL",
            confirmed_at=f"2024-04-{day:02d}T09:00:00+08:00",
            completed_at=f"2024-04-{day:02d}T17:00:00+08:00",
        )
    response = desk_client.get(
        f"/units/{phone.serial}/",
        {
            "claim_date": "2024-05-01",
            "quality_problem": "on",
            "still_unusable": "on",
            "same_model_available": same_model,
            "refund_date": refund_date,
        },
    )
    g11 = next(result for result in response.context["evaluation"].results if result.rule == "G-11")
    assert (g11.charge, None if g11.amount is None else str(g11.amount)) == (charge, amount)


def test_unit_page_refund_before_the_claim_is_shown_at_the_field(desk_client, phone):
    response = ask(desk_client, phone, claim_date="2024-05-01", refund_date="2024-04-30")
    assert response.context["evaluation"] is None
    assert response.context["form"].errors["refund_date"] == [
        "A refund cannot be made (2024-04-30) before the claim date 2024-05-01."
    ]
