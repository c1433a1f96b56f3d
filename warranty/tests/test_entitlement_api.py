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


# Consumer goods: "自送修之日起超过 N 日" counts calendar days, the hand-in day not counted (Arts 201, 203).
GOODS_IN_REPAIR = {
    "regime": "consumer_goods",
    "invoice_date": "2024-03-10",
    "fault": {"handed_in_at": "2024-06-01T09:00:00+08:00", "parts_wait_party": "producer"},
}


@pytest.mark.parametrize(
    ("claim_date", "days", "fires"),
    [
        pytest.param("2024-08-29", 89, False, id="day-89"),
        pytest.param("2024-08-30", 90, False, id="day-90-runs-to-24-00"),
        pytest.param("2024-08-31", 91, True, id="day-91"),
    ],
)
def test_entitlement_g12a_parts_wait_fires_on_day_91_after_hand_in(desk_api, claim_date, days, fires):
    response = evaluate(desk_api, {**GOODS_IN_REPAIR, "claim_date": claim_date})
    assert response.status_code == 200, response.content
    assert response.json()["days_since_hand_in"] == days
    assert ("G-12a" in rules(response)) is fires


@pytest.mark.parametrize(
    ("claim_date", "fires"),
    [pytest.param("2024-07-01", False, id="day-30"), pytest.param("2024-07-02", True, id="day-31")],
)
def test_entitlement_g12b_repairer_delay_fires_on_day_31(desk_api, claim_date, fires):
    fault = {"handed_in_at": "2024-06-01T23:30:00+08:00", "parts_wait_party": "repairer"}
    response = evaluate(desk_api, {**GOODS_IN_REPAIR, "claim_date": claim_date, "fault": fault})
    assert ("G-12b" in rules(response)) is fires


@pytest.mark.parametrize(
    ("claim_date", "fires"),
    [pytest.param("2024-06-08", False, id="day-7"), pytest.param("2024-06-09", True, id="day-8")],
)
def test_entitlement_g_bk_phone_loaner_fires_on_day_8(desk_api, db, claim_date, fires):
    policy = PolicyFactory(regime="consumer_goods")
    version_from_preset(policy, "mobile_phone")
    body = {
        "policy": policy.pk,
        "invoice_date": "2024-03-10",
        "claim_date": claim_date,
        "fault": {"handed_in_at": "2024-06-01T09:00:00+08:00"},
    }
    assert ("G-BK" in rules(evaluate(desk_api, body))) is fires


@pytest.mark.parametrize("viewer_zone", ["Asia/Shanghai", "Europe/Berlin", "America/Los_Angeles"])
def test_entitlement_hand_in_day_does_not_depend_on_the_viewers_zone(api_client, make_user, viewer_zone):
    # 00:30 in Shanghai is still 31 May in Berlin and Los Angeles; the policy's day is 1 June.
    api_client.force_login(make_user("service_desk", time_zone=viewer_zone, language="en"))
    fault = {"handed_in_at": "2024-06-01T00:30:00+08:00", "parts_wait_party": "producer"}
    day_90 = evaluate(api_client, {**GOODS_IN_REPAIR, "claim_date": "2024-08-30", "fault": fault}).json()
    day_91 = evaluate(api_client, {**GOODS_IN_REPAIR, "claim_date": "2024-08-31", "fault": fault}).json()
    assert (day_90["days_since_hand_in"], day_91["days_since_hand_in"]) == (90, 91)
    assert "G-12a" not in [result["rule"] for result in day_90["results"]]
    assert "G-12a" in [result["rule"] for result in day_91["results"]]
    g12a = next(result for result in day_91["results"] if result["rule"] == "G-12a")
    assert "since 2024-06-01 00:30" in g12a["explanation"]


# What a goods refund depends on: the refund date, the same model still available, the exclusion.
REFUND = {
    "regime": "consumer_goods",
    "invoice_date": "2023-03-01",
    "price": "4999.00",
    "claim_date": "2023-09-01",
    "history": [
        {"confirmed_at": "2023-04-01T09:00:00+08:00", "completed_at": "2023-04-02T10:00:00+08:00"},
        {"confirmed_at": "2023-04-21T09:00:00+08:00", "completed_at": "2023-04-22T10:00:00+08:00"},
    ],
}


def g11(response) -> dict:
    return next(result for result in response.json()["results"] if result["rule"] == "G-11")


@pytest.mark.parametrize(
    ("extra", "fault", "charge", "amount", "refund_date"),
    [
        # 184 days owned less 4 in repair: 4,999.00 × 0.1 % × 180 = 899.82
        pytest.param({}, {}, "depreciation", "899.82", "2023-09-01", id="defaults-to-claim-date"),
        # 194 days owned less 4: 4,999.00 × 0.1 % × 190 = 949.81
        pytest.param(
            {}, {"refund_date": "2023-09-11"}, "depreciation", "949.81", "2023-09-11", id="refund-ten-days-later"
        ),
        pytest.param(
            {"same_model_available": False},
            {"refund_date": "2023-09-11"},
            "none",
            None,
            "2023-09-11",
            id="no-same-model-no-depreciation",
        ),
    ],
)
def test_entitlement_goods_refund_inputs(desk_api, extra, fault, charge, amount, refund_date):
    body = {**REFUND, **extra, "fault": {"still_unusable": True, **fault}}
    response = evaluate(desk_api, body)
    assert response.status_code == 200, response.content
    assert (g11(response)["charge"], g11(response)["amount"]) == (charge, amount)
    answer = response.json()
    assert (answer["refund_date"], answer["same_model_available"]) == (
        refund_date,
        extra.get("same_model_available", True),
    )
    assert answer["exclusion"] is None


@pytest.mark.parametrize(
    ("fault", "code", "field"),
    [
        pytest.param({"refund_date": "2023-02-28"}, "refund_before_invoice", "refund_date", id="before-invoice"),
        pytest.param({"refund_date": "2023-08-31"}, "refund_before_claim", "refund_date", id="before-claim"),
        pytest.param({"exclusion": "disclosed_defect"}, "unknown_exclusion", "exclusion", id="car-exclusion-for-goods"),
        pytest.param({"exclusion": "dropped_it"}, "invalid", "fault", id="unknown-exclusion-word"),
        pytest.param({"refund_date": "2023-09-31"}, "invalid", "fault", id="impossible-refund-date"),
    ],
)
def test_entitlement_refund_inputs_bad_input_is_400_with_stable_code(desk_api, fault, code, field):
    response = evaluate(desk_api, {**REFUND, "fault": fault})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert field in response.json()["details"]


@pytest.mark.parametrize(
    ("language", "named"),
    [
        ("en", "The cause (no 三包凭证 and no valid invoice) is excluded"),
        ("zh-hans", "故障原因（无三包凭证及有效发票）"),
    ],
)
def test_entitlement_goods_exclusion_is_named_in_the_users_language(api_client, make_user, language, named):
    api_client.force_login(make_user("service_desk", language=language))
    # Day 3 after the sale: G-9 (refund) would fire without the exclusion.
    body = {**REFUND, "claim_date": "2023-03-04", "history": [], "fault": {"exclusion": "no_certificate_or_invoice"}}
    answer = api_client.post(URL, body, format="json").json()
    assert [result["rule"] for result in answer["results"]] == ["G-X"]
    assert named in answer["results"][0]["explanation"]
    assert answer["exclusion"]["code"] == "no_certificate_or_invoice"


def test_entitlement_car_exclusion_names_it_and_stops_everything(desk_api, car):
    body = {
        "unit": car.serial,
        "claim_date": "2026-06-03",
        "usage": 10,
        "fault": {"exclusion": "force_majeure", "needs_assembly_replacement": True},
    }
    response = evaluate(desk_api, body)
    assert rules(response) == ["CAR-X32"]
    assert "(force majeure)" in response.json()["results"][0]["explanation"]
    assert response.json()["exclusion"] == {"code": "force_majeure", "label": "force majeure"}


def test_entitlement_same_model_unavailable_gives_car_2013_refund(desk_api, db):
    # car_2013, cumulative repair days > 35: exchange only, or a refund when no car of the same model exists.
    history = [
        {"confirmed_at": "2020-03-01T09:00:00+08:00", "completed_at": "2020-04-10T09:00:00+08:00", "usage": 3000}
    ]
    body = {"regime": "car_2013", "invoice_date": "2020-01-01", "claim_date": "2020-05-01", "usage": 4000}
    options = {
        available: next(
            result["options"]
            for result in evaluate(
                desk_api, {**body, "history": history, "fault": {}, "same_model_available": available}
            ).json()["results"]
            if result["rule"] == "CAR13-24-4a"
        )
        for available in (True, False)
    }
    assert options == {True: ["EXCHANGE"], False: ["REFUND"]}
