from datetime import date, timedelta

import pytest
from django.utils import timezone

from warranty.models import PolicyComponentTerm, WarrantyPolicy
from warranty.tests.factories import (
    ContractFactory,
    PolicyFactory,
    ProductModelFactory,
    RepairFactory,
    UnitFactory,
    version_from_preset,
)

pytestmark = pytest.mark.django_db


def coverage(client, serial, **params):
    return client.get(f"/api/v1/units/{serial}/coverage/", params, HTTP_ACCEPT_LANGUAGE="en")


def test_coverage_in_warranty_names_basis_and_periods(desk_api, car, car_policy):
    response = coverage(desk_api, car.serial, on="2027-06-01", usage=20000)
    assert response.status_code == 200
    body = response.json()
    assert body["covered"] is True
    assert body["reason"] is None
    assert body["basis"]["regime"] == "car_2021"
    assert body["basis"]["policy"]["code"] == car_policy.code
    assert body["basis"]["version"] == 1
    assert body["basis"]["start_date"] == "2026-06-01"
    periods = {period["name"]: period for period in body["periods"]}
    assert periods["repair_period"]["end"] == "2029-06-01"
    assert periods["repair_period"]["usage_limit"] == 60000
    assert periods["sanbao_period"]["end"] == "2028-06-01"
    assert periods["sanbao_period"]["usage_limit"] == 50000
    assert periods["return_window"]["active"] is False  # a year after the start


@pytest.mark.parametrize(
    ("on", "usage", "covered", "reason"),
    [
        ("2029-06-01", 59000, True, None),  # last day of the 包修期 is inside it
        ("2029-06-02", 59000, False, "period_ended"),
        ("2027-01-01", 60000, True, None),  # usage limits are inclusive
        ("2027-01-01", 60001, False, "usage_limit_exceeded"),
    ],
)
def test_coverage_boundaries(desk_api, car, on, usage, covered, reason):
    body = coverage(desk_api, car.serial, on=on, usage=usage).json()
    assert body["covered"] is covered
    assert (body["reason"] or {}).get("code") == reason


def test_coverage_reason_is_in_users_language(api_client, make_user, car):
    api_client.force_login(make_user("service_desk", language="zh-hans"))
    body = api_client.get(f"/api/v1/units/{car.serial}/coverage/", {"on": "2030-01-01", "usage": 1}).json()
    assert body["reason"] == {"code": "period_ended", "message": "保修期已于 2029-06-01 结束。"}


def test_coverage_defaults_to_today_and_last_reading(desk_api, car):
    body = coverage(desk_api, car.serial).json()
    assert body["on"] == timezone.localdate().isoformat()
    assert body["usage"] == 12000


def test_coverage_component_has_its_own_period(desk_api, db):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    version_from_preset(policy, "catalogue_goods")
    component = policy.versions.get().component_terms.first()
    unit = UnitFactory(product_model=ProductModelFactory(policy=policy), invoice_date=date(2024, 3, 1))
    body = coverage(desk_api, unit.serial, on="2025-06-01", component=component.code).json()
    assert body["component"]["code"] == component.code
    assert body["component"]["active"] is True
    assert body["covered"] is True  # the whole unit expired on 2025-03-01, the main part still runs
    whole = next(period for period in body["periods"] if period["name"] == "whole_unit")
    assert whole["end"] == "2025-03-01"
    assert whole["active"] is False


def test_coverage_under_service_contract_uses_contract_policy_and_dates(desk_api, db):
    unit = UnitFactory(product_model=ProductModelFactory(policy=None), invoice_date=date(2020, 1, 1))
    contract = ContractFactory(customer=unit.customer, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    version_from_preset(contract.policy, "contract", whole_unit_months=36)
    contract.units.add(unit)
    body = coverage(desk_api, unit.serial, on="2026-06-01").json()
    assert body["covered"] is True
    assert body["basis"]["contract"]["number"] == contract.number
    assert body["basis"]["start_date"] == "2026-01-01"
    whole = next(period for period in body["periods"] if period["name"] == "whole_unit")
    assert whole["end"] == "2026-12-31"  # the 36-month terms stop with the contract
    after = coverage(desk_api, unit.serial, on="2027-01-02").json()
    assert after["covered"] is False
    assert after["reason"]["code"] == "no_policy"  # no contract in force then, and the model has no policy


def test_coverage_without_policy_says_so(desk_api, db):
    unit = UnitFactory(product_model=ProductModelFactory(policy=None))
    body = coverage(desk_api, unit.serial).json()
    assert body["covered"] is False
    assert body["reason"]["code"] == "no_policy"


def test_coverage_picks_version_in_force_at_start_date(desk_api, db):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONTRACT)
    version_from_preset(
        policy,
        "contract",
        effective_from=date(2020, 1, 1),
        effective_to=date(2025, 1, 1),
        whole_unit_months=12,
        start_event="invoice",
    )
    version_from_preset(
        policy, "contract", version=2, effective_from=date(2025, 1, 1), whole_unit_months=24, start_event="invoice"
    )
    old = UnitFactory(product_model=ProductModelFactory(policy=policy), invoice_date=date(2024, 12, 31))
    new = UnitFactory(product_model=old.product_model, invoice_date=date(2025, 1, 1))
    assert coverage(desk_api, old.serial, on="2025-06-01").json()["basis"]["version"] == 1
    assert coverage(desk_api, new.serial, on="2025-06-01").json()["basis"]["version"] == 2


def test_coverage_late_registration_refused_when_policy_says_so(desk_api, car, car_policy):
    car.registered_late = True
    car.save()
    assert coverage(desk_api, car.serial, on="2027-01-01", usage=1).json()["covered"] is True
    car_policy.versions.update(refuse_sanbao_if_registered_late=True)
    body = coverage(desk_api, car.serial, on="2027-01-01", usage=1).json()
    assert body["covered"] is False
    assert body["reason"]["code"] == "registration_late"


def test_coverage_query_count_is_constant_with_200_repairs(desk_api, car, django_assert_max_num_queries):
    start = timezone.now() - timedelta(days=150)
    for index in range(200):
        at = start + timedelta(hours=index * 12)
        RepairFactory(unit=car, confirmed_at=at, completed_at=at + timedelta(hours=3), problem_code=f"P{index % 7}")
    # Authentication is forced, so every query counted here is the coverage itself.
    with django_assert_max_num_queries(5):
        response = coverage(desk_api, car.serial, on="2027-01-01", usage=15000)
    assert response.status_code == 200
    assert response.json()["covered"] is True


def test_coverage_of_another_dealers_unit_is_404(api_client, dealer_user, other_dealer, car_model):
    unit = UnitFactory(product_model=car_model, selling_dealer=other_dealer)
    api_client.force_authenticate(dealer_user)
    response = api_client.get(f"/api/v1/units/{unit.serial}/coverage/")
    assert response.status_code == 404
    assert response.json()["code"] == "unit_not_found"


def test_coverage_serial_lookup_ignores_case_and_spaces(desk_api, car):
    assert coverage(desk_api, f" {car.serial.lower()} ").status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [({"on": "2026-13-01"}, "on"), ({"usage": "-1"}, "usage"), ({"usage": "many"}, "usage"), ({"foo": "1"}, "foo")],
)
def test_coverage_bad_query_is_400_per_field(desk_api, car, params, field):
    response = coverage(desk_api, car.serial, **params)
    assert response.status_code == 400
    assert field in response.json()["details"]


@pytest.fixture
def phone(db):
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    version_from_preset(policy, "mobile_phone")  # handset 1 year, battery 6 months, headset 3 months
    return UnitFactory(product_model=ProductModelFactory(policy=policy), invoice_date=date(2024, 1, 1))


@pytest.mark.parametrize(
    ("on", "component", "covered", "component_active", "reason"),
    [
        pytest.param("2024-07-01", "battery", True, True, None, id="battery-last-day"),
        pytest.param("2024-07-02", "battery", False, False, "period_ended", id="battery-ended-unit-runs"),
        pytest.param("2024-07-02", "", True, None, None, id="unit-covered"),
        pytest.param("2024-07-02", "screen", True, True, None, id="part-without-own-period-follows-unit"),
        pytest.param("2025-01-02", "battery", False, False, "period_ended", id="both-ended"),
    ],
)
def test_coverage_component_shorter_period_ended_is_not_covered(
    desk_api, phone, on, component, covered, component_active, reason
):
    body = coverage(desk_api, phone.serial, on=on, component=component).json()
    assert body["covered"] is covered
    assert (body["component"] or {}).get("active") == component_active
    assert (body["reason"] or {}).get("code") == reason
    whole = next(period for period in body["periods"] if period["name"] == "whole_unit")
    assert whole["active"] is (on < "2025-01-02")


def test_coverage_component_reason_names_the_component(desk_api, phone):
    body = coverage(desk_api, phone.serial, on="2024-07-02", component="battery").json()
    assert body["reason"]["message"] == "The warranty of component battery ended on 2024-07-01."


def test_coverage_component_with_only_its_own_usage_limit(desk_api, car, car_policy):
    PolicyComponentTerm.objects.create(
        version=car_policy.versions.get(), code="brake_pad", kind="wear_part", usage_limit=20000
    )
    pad = coverage(desk_api, car.serial, on="2027-06-01", usage=25000, component="brake_pad").json()
    assert pad["covered"] is False
    assert pad["reason"] == {
        "code": "usage_limit_exceeded",
        "message": "The usage reading 25000 is over the limit of 20000.",
    }
    assert pad["component"]["end"] == "2029-06-01"  # the 包修期's months
    assert coverage(desk_api, car.serial, on="2027-06-01", usage=25000).json()["covered"] is True
    assert coverage(desk_api, car.serial, on="2027-06-01", usage=20000, component="brake_pad").json()["covered"] is True


def test_coverage_longer_component_covers_after_the_unit(desk_api, car, car_policy):
    version = car_policy.versions.get()
    version.component_terms.filter(code="power_battery").update(months=96, usage_limit=150000)
    battery = coverage(desk_api, car.serial, on="2030-06-01", usage=90000, component="power_battery").json()
    assert battery["covered"] is True
    assert battery["component"]["end"] == "2034-06-01"
    unit = coverage(desk_api, car.serial, on="2030-06-01", usage=90000).json()
    assert (unit["covered"], unit["reason"]["code"]) == (False, "usage_limit_exceeded")


@pytest.mark.parametrize(
    ("on", "usage", "covered", "reason"),
    [
        pytest.param("2026-06-01", 60001, False, "usage_limit_exceeded", id="start-day-over-the-limit"),
        pytest.param("2026-06-01", 100, True, None, id="start-day-covered"),
        pytest.param("2026-05-31", 100, False, "not_started", id="day-before-start"),
    ],
)
def test_coverage_reason_on_the_start_day_is_the_real_one(desk_api, car, on, usage, covered, reason):
    body = coverage(desk_api, car.serial, on=on, usage=usage).json()
    assert body["covered"] is covered
    assert (body["reason"] or {}).get("code") == reason
    assert body["basis"]["start_date"] == "2026-06-01"
