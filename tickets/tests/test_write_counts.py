"""Writes in a bounded number of statements: opening a case (the API and the intake service) reads the unit
once, computes coverage once, takes the SLA policy's details from the process's copy (read once per policy
and configuration stamp) and writes its number, row, timers and event in one statement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales import prepared
from tickets.models import Ticket, Timer
from tickets.services import sla_config
from tickets.services.tickets import ticket_create
from warranty import coverage as warranty_coverage
from warranty.tests.factories import RepairFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"
# The policy's details intake reads only the first time (per process and configuration stamp).
DETAILS = 8  # severities, targets, bands, zones, ladder steps, calendar, its windows and dates


def sent(captured) -> list[str]:
    """The SQL of each statement, a prepared one's as written (aftersales.prepared)."""
    return [prepared.original(q["sql"]).strip() for q in captured.captured_queries]


def statements(captured, verb: str, table: str) -> int:
    return sum(1 for sql in sent(captured) if sql.startswith(verb) and f'"{table}"' in sql[:80])


def writes(captured) -> list[str]:
    return [sql for sql in sent(captured) if sql.startswith(("INSERT", "UPDATE", "DELETE", "WITH"))]


def the_one_write(captured) -> str:
    (sql,) = writes(captured)
    assert sql.startswith("WITH") and "nextval" in sql
    for table in ("tickets_ticket", "tickets_timer", "tickets_ticketevent"):
        assert f'INSERT INTO "{table}"' in sql
    return sql


def test_case_creation_through_the_api_in_bounded_queries(desk_api, car, django_assert_num_queries):
    body = {"channel": "phone", "reporter_name": "王", "description": "无法开机", "severity": "major"} | {
        "unit": car.serial
    }
    for _ in range(5):
        RepairFactory(unit=car)  # history the coverage reads in one query
    sla_config.forget()
    warranty_coverage.forget()
    # The first case of the process also reads the user's roles and scope, the SLA policy's details and the
    # warranty policy's versions.
    with CaptureQueriesContext(connection) as first:
        assert desk_api.post(URL, body, format="json").status_code == 201
    # savepoint and release (the request's transaction inside the test's), the unit with what its coverage
    # reads (the policy-terms stamp, its contracts, its repairs: the warranty policy's versions are the
    # process's copy), the SLA policy with its stamp, the one write.
    with django_assert_num_queries(5) as captured:
        response = desk_api.post(URL, body, format="json")
    assert len(first.captured_queries) <= len(captured.captured_queries) + DETAILS + 3
    assert response.status_code == 201, response.json()
    assert statements(captured, "SELECT", "warranty_unit") == 1
    assert statements(captured, "SELECT", "warranty_repairrecord") == 0  # read with the unit
    assert statements(captured, "SELECT", "warranty_policyversion") == 0  # kept under the policy-terms stamp
    the_one_write(captured)
    created = response.json()
    ticket = Ticket.objects.get(pk=created["id"])
    # What the response shows is what was written.
    timers = {t.metric.code: t for t in Timer.objects.filter(ticket=ticket).select_related("metric")}
    assert {t["metric"]: t["state"] for t in created["timers"]} == {code: t.state for code, t in timers.items()}
    assert {t["metric"]: t["target_minutes"] for t in created["timers"]} == {
        code: t.target_minutes for code, t in timers.items()
    }
    assert ticket.next_due_at == timers["first_response"].due_at
    assert ticket.number == created["number"] and ticket.events.get().kind == "created"
    assert created["unit"] == car.serial and created["coverage_snapshot"]["serial"] == car.serial
    assert ticket.coverage_policy_version_id == created["coverage_policy_version"] is not None


def test_intake_service_in_bounded_queries(desk_user, car, django_assert_num_queries):
    def open_case(**extra):
        return ticket_create(
            actor=desk_user, channel="phone", reporter_name="x", description="y", severity="critical", **extra
        )

    open_case(unit=car)
    # The policy with its stamp, coverage (contract, the policy-terms stamp — a unit not read with it —,
    # repairs), the one write.
    with django_assert_num_queries(5) as captured:
        ticket = open_case(unit=car)
    the_one_write(captured)
    assert Timer.objects.filter(ticket=ticket).count() == 5 == len(ticket.created_timers)
    assert {t.pk for t in ticket.created_timers} == set(
        Timer.objects.filter(ticket=ticket).values_list("pk", flat=True)
    )
    with django_assert_num_queries(2):
        ticket_create(actor=desk_user, channel="phone", reporter_name="x", description="y", severity="minor")
