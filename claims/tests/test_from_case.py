"""A claim started from a resolved case: pre-filled from the case, one live claim per case, and the case's
repair record is the claim's (never counted twice)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from aftersales.errors import ConflictError
from aftersales.roles import Role
from claims.services import claims as claim_services
from claims.services import review
from claims.tests.conftest import NOW
from tickets.services import work as work_services
from tickets.services.repairs import RepairFacts
from tickets.services.tickets import ticket_create, ticket_transition
from warranty.models import RepairRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved_case(make_user, desk_user, sold_car, rated_dealer, brake_part):
    engineer = make_user(Role.ENGINEER)
    reported = NOW - timedelta(days=4)
    ticket = ticket_create(
        actor=desk_user,
        channel="dealer",
        reporter_name="周先生",
        description="制动异响",
        severity="major",
        unit=sold_car,
        serving_outlet=rated_dealer,
        reported_at=reported,
        now=reported,
    )
    ticket = ticket_transition(ticket=ticket, action="assign", actor=desk_user, engineer=engineer, now=reported)
    ticket = ticket_transition(ticket=ticket, action="check_in", actor=engineer, now=reported + timedelta(hours=2))
    work_services.charge_line_add(
        ticket=ticket,
        actor=engineer,
        kind="part",
        description="",
        part_number="P-BRK-001",
        quantity=Decimal(1),
        now=reported,
    )
    work_services.charge_line_add(
        ticket=ticket,
        actor=engineer,
        kind="labour",
        description="更换制动钳",
        quantity=Decimal("1.5"),
        unit_price=Decimal(0),
        now=reported,
    )
    return ticket_transition(
        ticket=ticket,
        action="resolve",
        actor=engineer,
        repair=RepairFacts(problem_code="brake_noise", findings="刹车片磨损", work_done="更换刹车片"),
        now=reported + timedelta(hours=5),
    )


def test_claim_from_case_is_prefilled_with_its_parts_labour_and_times(resolved_case):
    prefill = claim_services.case_prefill(resolved_case)
    assert prefill["unit"] == resolved_case.unit
    assert prefill["repair_completed_at"] == resolved_case.resolved_at
    assert [(line["kind"], line.get("part_number", ""), line.get("hours")) for line in prefill["lines"]] == [
        ("part", "P-BRK-001", None),
        ("labour", "", Decimal("1.50")),
    ]


def test_claim_from_case_without_lines_takes_the_cases_lines(staff, resolved_case, repair_type):
    claim, _created = claim_services.claim_create(
        actor=staff,
        ticket=resolved_case,
        unit=resolved_case.unit,
        claim_type=repair_type,
        problem_code="BRAKE-NOISE",
        fault_description="制动异响",
        fault_date=(NOW - timedelta(days=4)).date(),
        repair_agreed_at=resolved_case.reported_at,
        repair_completed_at=resolved_case.resolved_at,
        now=NOW,
    )
    part, labour = claim.lines.order_by("position")
    assert part.claimed_amount == Decimal("860.00") and labour.claimed_amount == Decimal("120.00")
    assert labour.operation is None and labour.description == "更换制动钳"
    with pytest.raises(ConflictError) as refused:
        claim_services.claim_create(
            actor=staff,
            ticket=resolved_case,
            unit=resolved_case.unit,
            claim_type=repair_type,
            problem_code="BRAKE-NOISE",
            fault_description="again",
            fault_date=(NOW - timedelta(days=4)).date(),
            repair_agreed_at=resolved_case.reported_at,
            repair_completed_at=resolved_case.resolved_at,
            now=NOW,
        )
    assert refused.value.code == "case_already_claimed"


def test_claim_from_case_approved_uses_the_cases_repair_record(staff, reviewer, resolved_case, make_claim):
    # Resolving the case wrote the unit's record of this repair, under the case's source key.
    case_record = RepairRecord.objects.get(source_key=f"ticket:{resolved_case.pk}")
    assert case_record.source == RepairRecord.Source.TICKET
    claim = make_claim(
        ticket=resolved_case,
        repair_agreed_at=resolved_case.reported_at,
        repair_completed_at=resolved_case.resolved_at,
        fault_date=(NOW - timedelta(days=4)).date(),
    )
    # The case's own record is the current repair, not an earlier one the engine would count.
    entitlement = claim.checks.get(code="entitlement")
    assert entitlement.passed
    claim = review.claim_decide(
        claim=claim,
        actor=reviewer,
        expected_version=claim.version,
        decisions=[{"line": line.pk, "decision": "approve"} for line in claim.lines.all()],
        now=NOW,
    )
    assert claim.repair_record == case_record
    assert RepairRecord.objects.filter(unit=resolved_case.unit).count() == 1


def test_claim_from_an_unresolved_case_is_refused(make_claim, desk_user, sold_car, rated_dealer):
    ticket = ticket_create(
        actor=desk_user,
        channel="dealer",
        reporter_name="x",
        description="y",
        severity="major",
        unit=sold_car,
        serving_outlet=rated_dealer,
        now=NOW - timedelta(days=4),
        reported_at=NOW - timedelta(days=4),
    )
    with pytest.raises(ConflictError) as refused:
        make_claim(ticket=ticket)
    assert refused.value.code == "case_not_resolved"
