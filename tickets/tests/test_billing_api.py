from datetime import date
from decimal import Decimal

import pytest

from aftersales.roles import Role
from tickets.models import Quotation, Ticket
from tickets.tests.helpers import act
from warranty.models import PartPrice

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER)


@pytest.fixture
def expired_car(car, car_policy):
    car.invoice_date = car.delivery_date = date(2020, 1, 1)  # the 3-year 包修期 ended in 2023
    car.save()
    car_policy.versions.update(labour_rate=Decimal("10.00"), labour_cap=Decimal("25.00"), parts_pricing="cost")
    PartPrice.objects.create(
        part_number="P-PUMP", name="水泵", price=Decimal("500.00"), cost=Decimal("320.00"), valid_from=date(2020, 1, 1)
    )
    return car


@pytest.fixture
def paid_case(manager_api, expired_car, engineer):
    ticket = manager_api.post(
        URL,
        {
            "channel": "phone",
            "reporter_name": "x",
            "description": "漏水",
            "severity": "major",
            "unit": expired_car.serial,
        },
        format="json",
    ).json()
    act(manager_api, ticket["id"], "assign", {"engineer": engineer.username}, format="json")
    act(manager_api, ticket["id"], "contact", {}, format="json")
    return ticket


def test_out_of_warranty_case_needs_an_approved_quotation_before_work(manager_api, paid_case):
    refused = act(manager_api, paid_case["id"], "check-in", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "quotation_required"


def test_quotation_is_priced_by_the_policy_and_pauses_until_approved(manager_api, paid_case):
    response = act(
        manager_api,
        paid_case["id"],
        "quotations",
        {
            "lines": [
                {"kind": "part", "part_number": "P-PUMP", "quantity": "1"},
                {"kind": "labour", "description": "更换水泵", "quantity": "3"},
            ]
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    quotation = response.json()
    # Parts at cost (320.00), labour 3 h × 10.00 = 30.00 capped at 25.00 by a -5.00 line: 345.00.
    assert [(line["description"], line["amount"]) for line in quotation["lines"]] == [
        ("水泵", "320.00"),
        ("更换水泵", "30.00"),
        (quotation["lines"][2]["description"], "-5.00"),
    ]
    assert quotation["total"] == "345.00"
    case = manager_api.get(f"{URL}{paid_case['id']}/").json()
    assert case["status"] == "waiting_customer"
    assert next(t for t in case["timers"] if t["metric"] == "resolution")["state"] == "paused"
    second = act(
        manager_api, paid_case["id"], "quotations", {"lines": [{"kind": "labour", "quantity": "1"}]}, format="json"
    )
    assert second.status_code == 409

    approved = act(
        manager_api, paid_case["id"], "quotation-decision", {"approved": True, "customer_name": "李娜"}, format="json"
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "in_progress"
    assert act(manager_api, paid_case["id"], "check-in", {}, format="json").status_code == 200


def test_rejected_quotation_keeps_work_blocked(manager_api, paid_case):
    act(manager_api, paid_case["id"], "quotations", {"lines": [{"kind": "labour", "quantity": "1"}]}, format="json")
    act(manager_api, paid_case["id"], "quotation-decision", {"approved": False, "customer_name": "李娜"}, format="json")
    assert Quotation.objects.get().status == "rejected"
    act(manager_api, paid_case["id"], "resume", {}, format="json")
    assert act(manager_api, paid_case["id"], "check-in", {}, format="json").status_code == 409
    assert (
        act(
            manager_api, paid_case["id"], "quotation-decision", {"approved": True, "customer_name": "x"}, format="json"
        ).status_code
        == 409
    )


def test_quotation_bad_lines_are_400(manager_api, paid_case):
    for body in (
        {"lines": []},
        {"lines": [{"kind": "part", "quantity": "1"}]},
        {"lines": [{"kind": "labour", "quantity": "-1"}]},
        {"lines": [{"kind": "gift", "quantity": "1"}]},
    ):
        assert act(manager_api, paid_case["id"], "quotations", body, format="json").status_code == 400
    assert not Quotation.objects.exists()


def test_loaner_meets_the_loaner_timer_and_is_tracked_until_returned(manager_api, engineer):
    ticket = manager_api.post(
        URL, {"channel": "phone", "reporter_name": "x", "description": "y", "severity": "critical"}, format="json"
    ).json()
    lent = act(manager_api, ticket["id"], "loaners", {"description": "同型号备用UPS", "serial": "BK-01"}, format="json")
    assert lent.status_code == 201
    case = manager_api.get(f"{URL}{ticket['id']}/").json()
    assert next(t for t in case["timers"] if t["metric"] == "loaner")["state"] == "met"
    back = act(manager_api, ticket["id"], "loaner-return", {"loaner": lent.json()["id"]}, format="json")
    assert back.status_code == 200
    assert manager_api.get(f"{URL}{ticket['id']}/loaners/").json()[0]["returned_at"]
    again = act(manager_api, ticket["id"], "loaner-return", {"loaner": lent.json()["id"]}, format="json")
    assert again.status_code == 409


def test_escalation_records_the_emergency_plan(manager_api, engineer):
    ticket = manager_api.post(
        URL, {"channel": "phone", "reporter_name": "x", "description": "y", "severity": "major"}, format="json"
    ).json()
    assert act(manager_api, ticket["id"], "escalate", {"plan": "x"}, format="json").status_code == 409  # new
    act(manager_api, ticket["id"], "assign", {"engineer": engineer.username}, format="json")
    response = act(manager_api, ticket["id"], "escalate", {"plan": "先启用备用机房，厂家工程师明早到场"}, format="json")
    assert response.status_code == 200
    stored = Ticket.objects.get()
    assert stored.escalated_at and stored.emergency_plan.startswith("先启用")
    assert stored.events.filter(kind="escalated").exists()
