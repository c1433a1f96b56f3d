from datetime import date

import pytest

from warranty.tests.factories import PolicyFactory, RepairFactory, UnitFactory, version_from_preset

pytestmark = pytest.mark.django_db
URL = "/api/v1/entitlement/evaluate/"


def evaluate(client, body):
    return client.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")


def rules(response):
    return [result["rule"] for result in response.json()["results"]]


def test_unit_within_7_days_needing_assembly_gets_refund_or_exchange_first(desk_api, car):
    response = evaluate(
        desk_api,
        {"unit": car.serial, "claim_date": "2026-06-08", "usage": 150, "fault": {"needs_assembly_replacement": True}},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["regime"] == "car_2021"
    assert body["results"][0] == {
        "rule": "CAR-22",
        "options": ["REFUND", "EXCHANGE"],
        "charge": "none",
        "amount": None,
        "explanation": body["results"][0]["explanation"],
    }
    assert body["results"][0]["explanation"]
    assert "CAR-19" in rules(response)
    assert body["periods"]["repair_period"]["end"] == "2029-06-01"


def test_unit_on_day_8_no_longer_gets_car_22(desk_api, car):
    response = evaluate(
        desk_api,
        {"unit": car.serial, "claim_date": "2026-06-09", "usage": 150, "fault": {"needs_assembly_replacement": True}},
    )
    assert "CAR-22" not in rules(response)


def test_recorded_history_counts_unless_history_is_given(desk_api, car):
    for month in (7, 8, 9, 10, 11):
        RepairFactory(
            unit=car,
            problem_code="GEARBOX",
            confirmed_at=f"2026-{month:02d}-01T09:00:00+08:00",
            completed_at=f"2026-{month:02d}-01T17:00:00+08:00",
        )
    body = {"unit": car.serial, "claim_date": "2026-11-20", "usage": 9000, "fault": {"problem_code": "GEARBOX"}}
    fired = rules(evaluate(desk_api, body))
    assert "CAR-24-4b" in fired  # the 5th repair of the same problem
    assert "CAR-24-4b" not in rules(evaluate(desk_api, {**body, "history": []}))


def test_usage_fee_amount_to_the_fen(desk_api, car):
    # Two earlier serious-safety repairs, fault persists: CAR-24-1 with a usage fee.
    history = [
        {
            "confirmed_at": "2026-07-01T09:00:00+08:00",
            "completed_at": "2026-07-01T18:00:00+08:00",
            "serious_safety": True,
            "problem_code": "BRAKE",
        },
        {
            "confirmed_at": "2026-08-01T09:00:00+08:00",
            "completed_at": "2026-08-01T18:00:00+08:00",
            "serious_safety": True,
            "problem_code": "BRAKE",
        },
    ]
    response = evaluate(
        desk_api,
        {
            "unit": car.serial,
            "claim_date": "2026-09-01",
            "usage": 12345,
            "fault": {"serious_safety": True, "serious_fault_persists": True, "problem_code": "BRAKE"},
            "history": history,
        },
    )
    first = response.json()["results"][0]
    assert first["rule"] == "CAR-24-1"
    assert first["charge"] == "usage_fee"
    # price 100,000.00 × 12,345 km / 1000 × 0.5 % = 6,172.50
    assert first["amount"] == "6172.50"


def test_regime_defaults_without_unit(desk_api):
    response = evaluate(
        desk_api,
        {
            "regime": "consumer_goods",
            "invoice_date": "2026-01-01",
            "price": "2000",
            "claim_date": "2026-01-08",
            "fault": {},
        },
    )
    assert response.status_code == 200
    assert rules(response)[0] == "G-9"
    later = evaluate(
        desk_api, {"regime": "consumer_goods", "invoice_date": "2026-01-01", "claim_date": "2026-01-09", "fault": {}}
    )
    assert rules(later)[0] == "G-10"


def test_policy_basis_uses_version_in_force(desk_api, db):
    policy = PolicyFactory(regime="contract")
    version_from_preset(policy, "contract", whole_unit_months=12, start_event="invoice")
    response = evaluate(
        desk_api, {"policy": policy.pk, "invoice_date": "2026-01-01", "claim_date": "2027-01-02", "fault": {}}
    )
    assert response.status_code == 200
    assert rules(response) == ["K-OUT"]
    inside = evaluate(
        desk_api, {"policy": policy.pk, "invoice_date": "2026-01-01", "claim_date": "2027-01-01", "fault": {}}
    )
    assert rules(inside) == ["K-FREE"]


def test_excluded_cause_stops_everything(desk_api, car):
    response = evaluate(
        desk_api,
        {
            "unit": car.serial,
            "claim_date": "2026-06-03",
            "usage": 10,
            "fault": {"quality_problem": False, "needs_assembly_replacement": True},
        },
    )
    assert rules(response) == ["CAR-X32"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"regime": "car_2021", "invoice_date": "2026-01-01", "claim_date": "2026-02-01", "fault": {}, "extra": 1},
            "extra",
        ),
        (
            {
                "regime": "car_2021",
                "invoice_date": "2026-01-01",
                "claim_date": "2026-02-01",
                "fault": {"colour": "red"},
            },
            "fault",
        ),
        (
            {"regime": "car_2021", "invoice_date": "2026-01-01", "claim_date": "2026-02-01", "usage": -5, "fault": {}},
            "usage",
        ),
        ({"regime": "car_2021", "invoice_date": "2026-01-01", "claim_date": "2026-02-30", "fault": {}}, "claim_date"),
        ({"regime": "car_2021", "invoice_date": "2026-01-01", "claim_date": "2025-12-31", "fault": {}}, "claim_date"),
        ({"regime": "car_1999", "invoice_date": "2026-01-01", "claim_date": "2026-02-01", "fault": {}}, "regime"),
        (
            {
                "regime": "car_2021",
                "invoice_date": "2026-01-01",
                "claim_date": "2026-02-01",
                "fault": {"failure_types": ["wheels_fell_off"]},
            },
            "fault",
        ),
        ({"regime": "car_2021", "claim_date": "2026-02-01", "fault": {}}, "invoice_date"),
        (
            {
                "regime": "car_2021",
                "unit": "SN1",
                "invoice_date": "2026-01-01",
                "claim_date": "2026-02-01",
                "fault": {},
            },
            "unit",
        ),
        (
            {
                "regime": "car_2021",
                "invoice_date": "2026-01-01",
                "claim_date": "2026-02-01",
                "fault": {},
                "history": [{"confirmed_at": "2026-01-10T10:00:00Z", "completed_at": "2026-01-09T10:00:00Z"}],
            },
            "history",
        ),
        (
            {
                "regime": "car_2021",
                "invoice_date": "2026-01-01",
                "claim_date": "2026-02-01",
                "fault": {},
                "history": [{"confirmed_at": "2026-01-10T10:00:00Z", "assemblies_replaced": ["wing"]}],
            },
            "history",
        ),
    ],
    ids=[
        "unknown-field",
        "unknown-fault-field",
        "negative-usage",
        "impossible-date",
        "claim-before-invoice",
        "unknown-regime",
        "unknown-failure-type",
        "no-invoice-date",
        "two-bases",
        "completed-before-agreed",
        "unknown-assembly",
    ],
)
def test_bad_input_is_400_with_field_details(desk_api, body, field):
    response = evaluate(desk_api, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["details"], response.json()


def test_another_dealers_unit_is_404(api_client, dealer_user, other_dealer, car_model):
    unit = UnitFactory(product_model=car_model, selling_dealer=other_dealer, invoice_date=date(2026, 1, 1))
    api_client.force_authenticate(dealer_user)
    response = api_client.post(URL, {"unit": unit.serial, "claim_date": "2026-02-01", "fault": {}}, format="json")
    assert response.status_code == 404


def test_late_registration_refused_by_policy_gives_paid_service_only(desk_api, car, car_policy):
    car.registered_late = True
    car.save()
    body = {"unit": car.serial, "claim_date": "2026-06-05", "usage": 100, "fault": {"needs_assembly_replacement": True}}
    assert rules(evaluate(desk_api, body))[0] == "CAR-22"  # late, but the policy does not refuse
    car_policy.versions.update(refuse_sanbao_if_registered_late=True)
    response = evaluate(desk_api, body)
    assert response.json()["results"] == [
        {
            "rule": "CAR-OUT",
            "options": ["PAID_REPAIR"],
            "charge": "—",
            "amount": None,
            "explanation": response.json()["results"][0]["explanation"],
        }
    ]
    assert "20 days" in response.json()["results"][0]["explanation"]
