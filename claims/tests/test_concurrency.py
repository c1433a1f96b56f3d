"""What happens at the same moment: two reviewers deciding one claim, two settlement runs for the same
dealers. Real threads with their own database connections, against the real API and services."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from claims.models import ClaimLine, SettlementLine, SettlementStatement
from claims.services import review, settlement

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(*calls):
    """Run the calls in threads released together; returns their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_reviewers_deciding_at_once_one_wins_the_other_gets_412(make_claim, reviewer, second_reviewer):
    claim = make_claim()
    labour, part, towing = claim.lines.order_by("position")
    reduce_labour = {
        "version": claim.version,
        "decisions": [
            {"line": labour.pk, "decision": "reduce", "amount": "80.00", "reason": "excessive_labour"},
            {"line": part.pk, "decision": "approve"},
            {"line": towing.pk, "decision": "approve"},
        ],
    }
    approve_all = {
        "version": claim.version,
        "decisions": [{"line": line.pk, "decision": "approve"} for line in (labour, part, towing)],
    }

    def decide(user, body):
        def call():
            client = APIClient()
            client.force_authenticate(user)
            return client.post(f"/api/v1/claims/{claim.pk}/decide/", body, format="json")

        return call

    first, second = at_once(decide(reviewer, reduce_labour), decide(second_reviewer, approve_all))
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    winner, body = (reviewer, reduce_labour) if first.status_code == 200 else (second_reviewer, approve_all)
    loser = second if first.status_code == 200 else first
    assert loser.json()["code"] == "stale_version"
    claim.refresh_from_db()
    expected = Decimal("1140.00") if winner == reviewer else Decimal("1180.00")
    assert claim.approved_total == expected and claim.reviewer == winner
    assert set(claim.lines.values_list("decided_by", flat=True)) == {winner.pk}
    assert claim.events.filter(kind="decided").count() == 1


def test_two_settlement_runs_at_once_settle_each_line_once(make_claim, reviewer, finance, make_user, other_dealer):
    for problem in ("A", "B", "C"):
        claim = make_claim(problem_code=problem)
        review.claim_decide(
            claim=claim,
            actor=reviewer,
            expected_version=claim.version,
            decisions=[{"line": line.pk, "decision": "approve"} for line in claim.lines.all()],
        )
    eligible = set(settlement.settleable_lines(period_end=timezone.localdate()).values_list("pk", flat=True))
    assert len(eligible) == 6  # labour and towing of each claim; the parts wait for their return

    def run():
        return settlement.settlements_issue_all(actor=finance, period_end=timezone.localdate())

    first, second = at_once(run, run)
    assert not isinstance(first, Exception) and not isinstance(second, Exception), (first, second)
    assert len(first) + len(second) == 1  # one statement for the one dealer with lines
    assert set(SettlementLine.objects.values_list("line_id", flat=True)) == eligible
    assert SettlementLine.objects.count() == 6
    statement = SettlementStatement.objects.get()
    approved = sum(ClaimLine.objects.filter(pk__in=eligible).values_list("approved_amount", flat=True))
    assert statement.total == approved == Decimal("960.00")


def test_two_identical_creates_with_one_idempotency_key_at_once_make_one_claim(
    staff, sold_car, operation, brake_part, repair_type
):
    from claims.models import Claim
    from claims.tests.conftest import NOW

    body = {
        "unit": sold_car.serial,
        "claim_type": "repair",
        "problem_code": "BRAKE-NOISE",
        "fault_description": "制动异响",
        "fault_date": NOW.date().isoformat(),
        "repair_agreed_at": NOW.isoformat(),
        "repair_completed_at": NOW.isoformat(),
        "submit": True,
        "lines": [{"kind": "labour", "operation": operation.code, "hours": "1.00"}],
    }

    def create():
        client = APIClient()
        client.force_authenticate(staff)
        return client.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")

    first, second = at_once(create, create)
    assert sorted([first.status_code, second.status_code]) == [200, 201], (first.content, second.content)
    assert first.json()["id"] == second.json()["id"]
    assert Claim.objects.count() == 1 and Claim.objects.get().submission_count == 1
