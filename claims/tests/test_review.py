"""Line-by-line review, return for information, the one appeal to a different reviewer, spot checks, the
repair record an approved claim writes, and escalation of overdue reviews."""

from datetime import timedelta
from decimal import Decimal

import pytest

from aftersales.errors import ApplicationError, ConflictError
from aftersales.roles import Role
from claims.models import Claim, ClaimEvent
from claims.services import review
from claims.tests.conftest import NOW
from tickets.models import Notification
from warranty.models import RepairRecord

pytestmark = pytest.mark.django_db


def decisions(claim, *items):
    lines = list(claim.lines.order_by("position"))
    return [{"line": lines[position - 1].pk, **item} for position, item in items]


def partly(claim):
    return decisions(
        claim,
        (1, {"decision": "reduce", "amount": Decimal("80.00"), "reason": "excessive_labour"}),
        (2, {"decision": "approve"}),
        (3, {"decision": "reject", "reason": "missing_documents"}),
    )


def test_claim_decide_line_by_line_partly_approves_with_right_totals(make_claim, reviewer, staff):
    claim = make_claim()
    claim = review.claim_decide(
        claim=claim, actor=reviewer, expected_version=claim.version, decisions=partly(claim), now=NOW
    )
    assert claim.status == "partly_approved"
    assert claim.approved_total == Decimal("940.00") and claim.claimed_total == Decimal("1180.00")
    labour, part, towing = claim.lines.order_by("position")
    assert (labour.decision, labour.approved_amount, labour.reason.code) == (
        "reduced",
        Decimal("80.00"),
        "excessive_labour",
    )
    assert (part.decision, part.approved_amount, part.reason) == ("approved", Decimal("860.00"), None)
    assert (towing.decision, towing.approved_amount) == ("rejected", Decimal("0.00"))
    event = ClaimEvent.objects.filter(claim=claim, kind="decided").get()
    assert event.actor == reviewer and event.data["version"] == claim.version - 1
    note = Notification.objects.get(recipient=staff, kind="claim_decided")
    assert note.object_id == claim.pk and claim.number in note.title


def test_claim_decide_every_line_approved_approves_and_all_rejected_rejects(make_claim, reviewer):
    approved = make_claim()
    approved = review.claim_decide(
        claim=approved,
        actor=reviewer,
        expected_version=approved.version,
        decisions=decisions(
            approved, (1, {"decision": "approve"}), (2, {"decision": "approve"}), (3, {"decision": "approve"})
        ),
        now=NOW,
    )
    assert approved.status == "approved" and approved.approved_total == approved.claimed_total
    rejected = make_claim(problem_code="OTHER")
    rejected = review.claim_decide(
        claim=rejected,
        actor=reviewer,
        expected_version=rejected.version,
        decisions=decisions(rejected, *[(n, {"decision": "reject", "reason": "warranty_expired"}) for n in (1, 2, 3)]),
        now=NOW,
    )
    assert rejected.status == "rejected" and rejected.approved_total == 0


def test_claim_decide_on_stale_version_is_412_and_changes_nothing(make_claim, reviewer):
    claim = make_claim()
    with pytest.raises(ApplicationError) as refused:
        review.claim_decide(
            claim=claim, actor=reviewer, expected_version=claim.version - 1, decisions=partly(claim), now=NOW
        )
    assert refused.value.status == 412 and refused.value.code == "stale_version"
    claim.refresh_from_db()
    assert claim.status == "submitted" and claim.approved_total == 0
    assert not claim.lines.exclude(decision="pending").exists()


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ([(1, {"decision": "approve"}), (2, {"decision": "approve"})], "missing"),
        ([(1, {"decision": "reject"}), (2, {"decision": "approve"}), (3, {"decision": "approve"})], "0"),
        (
            [
                (1, {"decision": "reduce", "amount": Decimal("120.00"), "reason": "excessive_labour"}),
                (2, {"decision": "approve"}),
                (3, {"decision": "approve"}),
            ],
            "0",
        ),
    ],
)
def test_claim_decide_incomplete_or_impossible_decisions_are_refused(make_claim, reviewer, items, problem):
    claim = make_claim()
    with pytest.raises(ApplicationError) as refused:
        review.claim_decide(
            claim=claim, actor=reviewer, expected_version=claim.version, decisions=decisions(claim, *items)
        )
    assert refused.value.code == "claim_invalid" and problem in refused.value.details["decisions"]
    assert Claim.objects.get(pk=claim.pk).status == "submitted"


def test_claim_decide_by_dealer_or_dealer_member_reviewer_is_forbidden(make_claim, staff, make_user, rated_dealer):
    from dealers.models import DealerMember

    claim = make_claim()
    insider = make_user(Role.CLAIMS_REVIEWER)
    DealerMember.objects.create(user=insider, dealer=rated_dealer)
    for actor in (staff, insider):
        with pytest.raises(ApplicationError) as refused:
            review.claim_decide(claim=claim, actor=actor, expected_version=claim.version, decisions=partly(claim))
        assert refused.value.status == 403


def test_claim_appeal_once_to_a_different_reviewer(make_claim, reviewer, second_reviewer, staff):
    claim = make_claim()
    claim = review.claim_decide(
        claim=claim, actor=reviewer, expected_version=claim.version, decisions=partly(claim), now=NOW
    )
    towing = claim.lines.get(position=3)
    claim = review.claim_appeal(
        claim=claim, actor=staff, expected_version=claim.version, reason="照片已补", lines=[towing.pk], now=NOW
    )
    assert claim.status == "appealed" and claim.appeal_count == 1
    assert claim.review_due_at == NOW + timedelta(days=30)
    assert Notification.objects.filter(recipient=second_reviewer, kind="claim_appealed").exists()
    assert not Notification.objects.filter(recipient=reviewer, kind="claim_appealed").exists()
    with pytest.raises(ConflictError) as refused:
        review.claim_decide(
            claim=claim,
            actor=reviewer,
            expected_version=claim.version,
            decisions=[{"line": towing.pk, "decision": "approve"}],
        )
    assert refused.value.code == "appeal_needs_other_reviewer"
    claim = review.claim_decide(
        claim=claim,
        actor=second_reviewer,
        expected_version=claim.version,
        decisions=[{"line": towing.pk, "decision": "approve"}],
        now=NOW,
    )
    assert claim.status == "partly_approved"  # the reduced labour line stands
    assert claim.approved_total == Decimal("1140.00")
    assert (claim.reviewer, claim.appeal_reviewer) == (reviewer, second_reviewer)
    with pytest.raises(ConflictError) as refused:
        review.claim_appeal(claim=claim, actor=staff, expected_version=claim.version, reason="again")
    assert refused.value.code == "appeal_used"


def test_claim_appeal_of_an_approved_claim_is_an_invalid_transition(make_claim, reviewer, staff):
    claim = make_claim()
    claim = review.claim_decide(
        claim=claim,
        actor=reviewer,
        expected_version=claim.version,
        decisions=decisions(claim, *[(n, {"decision": "approve"}) for n in (1, 2, 3)]),
        now=NOW,
    )
    with pytest.raises(ConflictError) as refused:
        review.claim_appeal(claim=claim, actor=staff, expected_version=claim.version, reason="x")
    assert refused.value.code == "invalid_transition"


def test_claim_approved_enters_the_units_repair_records_once(make_claim, reviewer, second_reviewer, staff, sold_car):
    from warranty import coverage

    claim = make_claim()
    claim = review.claim_decide(
        claim=claim, actor=reviewer, expected_version=claim.version, decisions=partly(claim), now=NOW
    )
    record = RepairRecord.objects.get(unit=sold_car)
    assert claim.repair_record == record and record.source == "claim"
    assert record.problem_code == "BRAKE-NOISE" and record.material_cost == Decimal("860.00")
    assert record.replaced_parts[0]["serial"] == "OLD-1"
    assert len(coverage.unit_history(sold_car)) == 1  # the engine counts it next time
    claim = review.claim_appeal(claim=claim, actor=staff, expected_version=claim.version, reason="x", now=NOW)
    review.claim_decide(
        claim=claim,
        actor=second_reviewer,
        expected_version=claim.version,
        decisions=[{"line": line.pk, "decision": "approve"} for line in claim.lines.filter(appealed=True)],
        now=NOW,
    )
    assert RepairRecord.objects.filter(unit=sold_car).count() == 1


def test_claim_rejected_writes_no_repair_record(make_claim, reviewer, sold_car):
    claim = make_claim()
    review.claim_decide(
        claim=claim,
        actor=reviewer,
        expected_version=claim.version,
        decisions=decisions(claim, *[(n, {"decision": "reject", "reason": "excluded_cause"}) for n in (1, 2, 3)]),
        now=NOW,
    )
    assert not RepairRecord.objects.filter(unit=sold_car).exists()


def test_spot_check_share_picks_all_none_or_about_the_share():
    numbers = [f"CL261120-{n:06d}" for n in range(2000)]
    assert all(review.picked_for_spot_check(number, Decimal(100)) for number in numbers)
    assert not any(review.picked_for_spot_check(number, Decimal(0)) for number in numbers)
    picked = sum(review.picked_for_spot_check(number, Decimal(10)) for number in numbers)
    assert 140 <= picked <= 260
    assert review.picked_for_spot_check(numbers[7], Decimal(10)) == review.picked_for_spot_check(
        numbers[7], Decimal(10)
    )


def test_claim_decide_programme_at_100_percent_picks_the_approved_claim(make_claim, reviewer):
    claim = make_claim()
    claim.programme.spot_check_percent = Decimal(100)
    claim.programme.save()
    claim = review.claim_decide(
        claim=claim, actor=reviewer, expected_version=claim.version, decisions=partly(claim), now=NOW
    )
    assert claim.spot_check


def test_overdue_review_escalates_once_to_the_reviewers_manager(make_claim, make_user, rated_dealer):
    from dealers.models import DealerMember

    manager = make_user(Role.DEPARTMENT_MANAGER)
    dealer_side_manager = make_user(Role.DEPARTMENT_MANAGER)
    DealerMember.objects.create(user=dealer_side_manager, dealer=rated_dealer)
    claim = make_claim()
    assert review.claims_escalate_overdue(now=NOW + timedelta(days=29)) == 0
    assert review.claims_escalate_overdue(now=NOW + timedelta(days=31)) == 1
    assert review.claims_escalate_overdue(now=NOW + timedelta(days=32)) == 0
    notes = Notification.objects.filter(kind="claim_review_overdue", object_id=claim.pk)
    assert list(notes.values_list("recipient_id", flat=True)) == [manager.pk]
    assert Claim.objects.get(pk=claim.pk).escalated_at == NOW + timedelta(days=31)
    assert ClaimEvent.objects.filter(claim=claim, kind="review_overdue").count() == 1
