"""Writes in a bounded number of statements: opening a case (the API and the intake service) reads the unit
once, computes coverage once and inserts its timers and event in one statement each."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.models import Ticket, Timer
from tickets.services.tickets import ticket_create
from warranty.tests.factories import RepairFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"


def statements(captured, verb: str, table: str) -> int:
    return sum(1 for q in captured.captured_queries if q["sql"].startswith(verb) and f'"{table}"' in q["sql"][:80])


def test_case_creation_through_the_api_in_bounded_queries(desk_api, car, django_assert_max_num_queries):
    desk_api.get(URL)  # the user's roles and scope are read once per user object, as on any request
    body = {"channel": "phone", "reporter_name": "王", "description": "无法开机", "severity": "major"} | {
        "unit": car.serial
    }
    for _ in range(5):
        RepairFactory(unit=car)  # history the coverage reads in one query
    with django_assert_max_num_queries(18) as captured:
        response = desk_api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert statements(captured, "SELECT", "warranty_unit") == 1
    assert statements(captured, "SELECT", "warranty_policyversion") == 1  # coverage once, its version kept
    assert statements(captured, "INSERT", "tickets_timer") == 1
    assert statements(captured, "UPDATE", "tickets_timer") == 0
    created = response.json()
    ticket = Ticket.objects.get(pk=created["id"])
    # What the response shows is what was written.
    timers = {t.metric.code: t for t in Timer.objects.filter(ticket=ticket).select_related("metric")}
    assert {t["metric"]: t["state"] for t in created["timers"]} == {code: t.state for code, t in timers.items()}
    assert ticket.next_due_at == timers["first_response"].due_at
    assert created["unit"] == car.serial and created["coverage_snapshot"]["serial"] == car.serial
    assert ticket.coverage_policy_version_id == created["coverage_policy_version"] is not None


def test_intake_service_in_bounded_queries(desk_user, car, django_assert_max_num_queries):
    with django_assert_max_num_queries(15) as captured:
        ticket = ticket_create(
            actor=desk_user, channel="phone", reporter_name="x", description="y", severity="critical", unit=car
        )
    assert statements(captured, "INSERT", "tickets_timer") == 1
    assert statements(captured, "INSERT", "tickets_ticketevent") == 1
    assert Timer.objects.filter(ticket=ticket).count() == 5
    with CaptureQueriesContext(connection) as without_unit:
        ticket_create(actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor")
    assert len(without_unit.captured_queries) <= len(captured.captured_queries)
