"""The unit's repair history includes the product's own repairs: resolving a case writes the unit's repair
record (once per case), so the next intake's 三包 entitlement counts it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from aftersales.roles import Role
from tickets.coverage_snapshot import CoverageSnapshot
from tickets.models import RepairReport, Ticket
from tickets.services.repairs import RepairFacts
from tickets.services.tickets import ticket_transition
from tickets.services.work import charge_line_add, repair_order_sign
from tickets.tests.factories import CaseFactory
from warranty.models import RepairRecord
from warranty.services.units import repair_record_create
from warranty.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"
PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER, first_name="建国", last_name="王")


@pytest.fixture
def young_car(car_model, dealer):
    """A car bought 200 days ago: within its 三包有效期 (2 years / 50,000 km)."""
    bought = timezone.localdate() - timedelta(days=200)
    return UnitFactory(
        product_model=car_model, selling_dealer=dealer, invoice_date=bought, delivery_date=bought, usage_reading=8000
    )


@pytest.fixture
def engineer_api(api_client, engineer):
    api_client.force_authenticate(engineer)
    return api_client


def resolved_case(desk, engineer, unit, *, reported, hours, problem, **facts):
    ticket = CaseFactory(actor=desk, unit=unit, severity="major", reported_at=reported, now=reported)
    for action in ("assign", "contact"):
        ticket = ticket_transition(ticket=ticket, action=action, actor=engineer, engineer=engineer, now=reported)
    return ticket_transition(
        ticket=ticket,
        action="resolve",
        actor=engineer,
        repair=RepairFacts(problem_code=problem, **facts),
        now=reported + timedelta(hours=hours),
    )


def intake_rules(client, unit) -> list[str]:
    """What the intake page shows: coverage today, then the entitlement for the fault the caller describes."""
    coverage = client.get(f"/api/v1/units/{unit.serial}/coverage/").json()
    body = {"unit": unit.serial, "claim_date": coverage["on"], "usage": coverage["usage"], "fault": {}}
    response = client.post("/api/v1/entitlement/evaluate/", body, format="json")
    assert response.status_code == 200, response.json()
    return [result["rule"] for result in response.json()["results"]]


def test_resolved_cases_same_problem_fifth_repair_shows_car_24_4b_at_intake(desk_user, desk_api, engineer, young_car):
    start = timezone.now() - timedelta(days=150)
    for number in range(4):
        resolved_case(
            desk_user, engineer, young_car, reported=start + timedelta(days=20 * number), hours=5, problem="brake_noise"
        )
    assert RepairRecord.objects.filter(unit=young_car, source=RepairRecord.Source.TICKET).count() == 4
    # Four repairs of one problem do not fire it ("more than 4 times"; sanbao.md, readings confirmed) …
    assert "CAR-24-4b" not in intake_rules(desk_api, young_car)
    resolved_case(desk_user, engineer, young_car, reported=start + timedelta(days=100), hours=5, problem="brake_noise")
    # … the fifth counted repair does.
    assert "CAR-24-4b" in intake_rules(desk_api, young_car)


def test_resolved_cases_durations_over_30_days_show_car_24_4a(desk_user, desk_api, engineer, young_car):
    start = timezone.now() - timedelta(days=150)
    resolved_case(desk_user, engineer, young_car, reported=start, hours=15 * 24, problem="a")
    resolved_case(desk_user, engineer, young_car, reported=start + timedelta(days=30), hours=15 * 24, problem="b")
    assert "CAR-24-4a" not in intake_rules(desk_api, young_car)  # exactly 30 days is not more than 30
    # One more hour of repair counts as a day (sanbao.md): 31 days. Excluded hours are not repair time.
    resolved_case(
        desk_user,
        engineer,
        young_car,
        reported=start + timedelta(days=60),
        hours=3,
        problem="c",
        excluded_hours=Decimal("2"),
    )
    assert "CAR-24-4a" in intake_rules(desk_api, young_car)


def test_reopened_and_resolved_again_case_is_one_repair(desk_user, engineer, young_car):
    reported = timezone.now() - timedelta(days=10)
    ticket = resolved_case(desk_user, engineer, young_car, reported=reported, hours=2, problem="leak")
    ticket = ticket_transition(ticket=ticket, action="reopen", actor=engineer, now=reported + timedelta(hours=3))
    ticket_transition(
        ticket=ticket,
        action="resolve",
        actor=engineer,
        repair=RepairFacts(problem_code="seal_leak"),
        now=reported + timedelta(hours=30),
    )
    record = RepairRecord.objects.get(unit=young_car)
    assert record.source_key == f"ticket:{ticket.pk}"
    assert record.completed_at == reported + timedelta(hours=30)
    assert record.problem_code == "seal_leak"
    assert RepairReport.objects.get(ticket=ticket).repair_record == record


def test_resolve_and_sign_write_the_art_17_fields(desk_user, engineer, young_car):
    reported = timezone.now() - timedelta(days=3)
    ticket = CaseFactory(actor=desk_user, unit=young_car, severity="major", reported_at=reported, now=reported)
    ticket = ticket_transition(ticket=ticket, action="assign", actor=engineer, engineer=engineer, now=reported)
    ticket = ticket_transition(ticket=ticket, action="check_in", actor=engineer, now=reported + timedelta(hours=1))
    charge_line_add(
        ticket=ticket,
        actor=engineer,
        kind="part",
        description="制动卡钳",
        part_number="BRK-100",
        serial="C123",
        quantity=Decimal("1"),
        unit_price=Decimal("800"),
        now=reported + timedelta(hours=2),
    )
    charge_line_add(
        ticket=ticket,
        actor=engineer,
        kind="labour",
        description="更换卡钳",
        quantity=Decimal("2"),
        unit_price=Decimal("50"),
        now=reported + timedelta(hours=2),
    )
    agreed = reported + timedelta(minutes=30)
    ticket = ticket_transition(
        ticket=ticket,
        action="resolve",
        actor=engineer,
        repair=RepairFacts(
            problem_code="brake_caliper",
            serious_safety=True,
            component="brake",
            main_parts_replaced=({"system": "brake", "part": "front caliper"},),
            excluded_hours=Decimal("1.5"),
            usage=8120,
            repair_agreed_at=agreed,
        ),
        now=reported + timedelta(hours=4),
    )
    repair_order_sign(
        ticket=ticket,
        actor=engineer,
        findings="卡钳卡滞",
        work_done="更换前卡钳",
        signer_name="周先生",
        signature=PNG,
        now=reported + timedelta(hours=5),
    )
    record = RepairRecord.objects.get(unit=young_car)
    assert (record.confirmed_at, record.completed_at) == (agreed, reported + timedelta(hours=4))
    assert (record.usage, record.problem_code, record.quality_problem, record.serious_safety) == (
        8120,
        "brake_caliper",
        True,
        True,
    )
    assert record.fault_description == ticket.description
    assert record.main_parts_replaced == [{"system": "brake", "part": "front caliper"}]
    assert record.excluded_hours == Decimal("1.5")
    assert record.replaced_parts == [
        {"part_number": "BRK-100", "name": "制动卡钳", "quantity": "1.00", "serial": "C123"}
    ]
    assert (record.material_cost, record.labour_cost) == (Decimal("800.00"), Decimal("100.00"))
    assert (record.inspection_result, record.repair_items) == ("卡钳卡滞", "更换前卡钳")
    assert record.returned_at == reported + timedelta(hours=5)
    assert (record.customer_signature, record.repairer_signature) == ("周先生", "王建国")


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({}, "problem_code", "repair_report_invalid"),
        ({"problem_code": "x", "assemblies_replaced": ["flux_capacitor"]}, "assemblies_replaced", "invalid"),
        (
            {"problem_code": "x", "main_parts_replaced": [{"system": "warp", "part": "a"}]},
            "main_parts_replaced",
            "invalid",
        ),
        ({"problem_code": "x", "excluded_hours": "999"}, "excluded_hours", "repair_report_invalid"),
        (
            {"problem_code": "x", "repair_agreed_at": "2000-01-01T08:00:00+08:00"},
            "repair_agreed_at",
            "repair_report_invalid",
        ),
        ({"problem_code": "x", "usage": -1}, "usage", "invalid"),
    ],
)
def test_api_resolve_bad_repair_report_is_400_and_changes_nothing(
    desk_user, engineer, engineer_api, young_car, extra, field, code
):
    reported = timezone.now() - timedelta(hours=5)
    ticket = CaseFactory(actor=desk_user, unit=young_car, severity="major", reported_at=reported, now=reported)
    ticket = ticket_transition(ticket=ticket, action="assign", actor=engineer, engineer=engineer, now=reported)
    ticket = ticket_transition(ticket=ticket, action="contact", actor=engineer, now=reported)
    response = engineer_api.post(
        f"{URL}{ticket.pk}/resolve/", {"version": ticket.version, **extra}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert field in response.json()["details"]
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert not RepairRecord.objects.exists() and not RepairReport.objects.exists()


def test_api_resolve_with_repair_report_writes_the_record(desk_user, engineer, engineer_api, young_car):
    reported = timezone.now() - timedelta(hours=5)
    ticket = CaseFactory(actor=desk_user, unit=young_car, severity="major", reported_at=reported, now=reported)
    ticket = ticket_transition(ticket=ticket, action="assign", actor=engineer, engineer=engineer, now=reported)
    ticket = ticket_transition(ticket=ticket, action="contact", actor=engineer, now=reported)
    body = {
        "version": ticket.version,
        "problem_code": "battery_fault",
        "assemblies_replaced": ["power_battery"],
        "quality_problem": True,
        "usage": 8050,
    }
    response = engineer_api.post(f"{URL}{ticket.pk}/resolve/", body, format="json")
    assert response.status_code == 200, response.json()
    record = RepairRecord.objects.get(unit=young_car)
    assert (record.assemblies_replaced, record.usage, record.source) == (["power_battery"], 8050, "ticket")


def test_page_resolve_with_repair_report_writes_the_record(client, desk_user, engineer, young_car):
    reported = timezone.now() - timedelta(hours=5)
    ticket = CaseFactory(actor=desk_user, unit=young_car, severity="major", reported_at=reported, now=reported)
    ticket = ticket_transition(ticket=ticket, action="assign", actor=engineer, engineer=engineer, now=reported)
    ticket = ticket_transition(ticket=ticket, action="contact", actor=engineer, now=reported)
    client.force_login(engineer)
    page = client.get(f"/cases/{ticket.pk}/")
    assert 'data-testid="resolve-form"' in page.content.decode()
    response = client.post(
        f"/cases/{ticket.pk}/action/resolve/",
        {
            "version": ticket.version,
            "problem_code": "wiper",
            "quality_problem": "on",
            "main_parts_replaced": "body: wiper motor",
            "excluded_hours": "0",
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    record = RepairRecord.objects.get(unit=young_car)
    assert (record.problem_code, record.main_parts_replaced) == ("wiper", [{"system": "body", "part": "wiper motor"}])


def test_page_resolve_without_problem_code_on_a_unit_is_refused(client, desk_user, engineer, young_car):
    reported = timezone.now() - timedelta(hours=5)
    ticket = CaseFactory(actor=desk_user, unit=young_car, severity="major", reported_at=reported, now=reported)
    ticket = ticket_transition(ticket=ticket, action="assign", actor=engineer, engineer=engineer, now=reported)
    ticket = ticket_transition(ticket=ticket, action="contact", actor=engineer, now=reported)
    engineer.language = "en"
    engineer.save()
    client.force_login(engineer)
    response = client.post(f"/cases/{ticket.pk}/action/resolve/", {"version": ticket.version}, follow=True)
    assert "Give the problem code" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and not RepairRecord.objects.exists()


def test_case_keeps_coverage_basis_as_keys_and_typed_snapshot(desk_user, desk_api, young_car, car_policy):
    ticket = CaseFactory(actor=desk_user, unit=young_car, severity="major")
    assert ticket.coverage_policy_version == car_policy.versions.get()
    coverage = Ticket.objects.get(pk=ticket.pk).coverage
    assert isinstance(coverage, CoverageSnapshot)
    assert coverage.covered is True and coverage.policy_code == car_policy.code and coverage.schema == 1
    assert coverage.on == timezone.localdate(ticket.reported_at)
    body = desk_api.get(f"{URL}{ticket.pk}/").json()
    assert body["coverage_snapshot"]["schema"] == 1 and body["coverage_snapshot"]["covered"] is True
    assert body["coverage_policy_version"] == ticket.coverage_policy_version_id


def test_repair_record_source_key_one_record_per_source(engineer, young_car):
    now = timezone.now()
    first = repair_record_create(
        actor=engineer, unit=young_car, source_key="ticket:1", source="ticket", confirmed_at=now - timedelta(hours=3)
    )
    # A dealer claim made from that case passes the case's key: the same repair, updated, not a second one.
    again = repair_record_create(
        actor=engineer, unit=young_car, source_key="ticket:1", completed_at=now - timedelta(hours=1), labour_cost=5
    )
    assert again.pk == first.pk and RepairRecord.objects.count() == 1
    assert again.completed_at == now - timedelta(hours=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        RepairRecord.objects.create(unit=young_car, source_key="ticket:1", confirmed_at=now, created_at=now)
