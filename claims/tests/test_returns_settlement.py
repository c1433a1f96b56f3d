"""Old-part returns (ship, receive, appraise, the deadline job) and settlement against the dealer's account."""

from datetime import timedelta
from decimal import Decimal

import pytest

from aftersales.errors import ApplicationError, ConflictError
from claims.models import AccountEntry, ClaimLine, DealerAccount, SettlementLine, SettlementStatement
from claims.services import returns, review, settlement
from claims.tests.conftest import NOW
from tickets.models import Notification

pytestmark = pytest.mark.django_db


def approve_all(claim, reviewer):
    return review.claim_decide(
        claim=claim,
        actor=reviewer,
        expected_version=claim.version,
        decisions=[{"line": line.pk, "decision": "approve"} for line in claim.lines.all()],
        now=NOW,
    )


def part_line(claim):
    return claim.lines.get(kind="part")


def test_return_ship_receive_appraise_makes_the_part_line_settleable(make_claim, reviewer, staff, finance):
    claim = approve_all(make_claim(), reviewer)
    period_end = NOW.date()
    assert set(settlement.settleable_lines(period_end=period_end)) == set(claim.lines.exclude(kind="part"))
    batch = returns.return_ship(
        actor=staff, carrier="顺丰", tracking_number="SF1234567890", lines=[part_line(claim)], now=NOW
    )
    assert batch.number.startswith("RB") and batch.items.count() == 1
    with pytest.raises(ConflictError) as refused:
        returns.return_ship(actor=staff, carrier="顺丰", tracking_number="SF2", lines=[part_line(claim)], now=NOW)
    assert refused.value.code == "part_not_returnable"
    returns.return_receive(batch=batch, actor=reviewer, now=NOW + timedelta(days=2))
    batch.refresh_from_db()
    assert batch.received_at == NOW + timedelta(days=2)
    item = batch.items.get()
    returns.return_appraise(item=item, actor=reviewer, appraisal="scrap", now=NOW + timedelta(days=2))
    assert set(settlement.settleable_lines(period_end=period_end)) == set(claim.lines.all())


def test_return_appraised_not_the_claimed_part_rejects_the_line(make_claim, reviewer, staff):
    claim = approve_all(make_claim(), reviewer)
    batch = returns.return_ship(actor=staff, carrier="EMS", tracking_number="E1", lines=[part_line(claim)], now=NOW)
    returns.return_receive(batch=batch, actor=reviewer, now=NOW)
    returns.return_appraise(item=batch.items.get(), actor=reviewer, appraisal="not_claimed_part", now=NOW)
    claim.refresh_from_db()
    line = part_line(claim)
    assert (line.decision, line.reason.code, line.approved_amount) == ("rejected", "wrong_part", Decimal("0.00"))
    assert claim.status == "partly_approved" and claim.approved_total == Decimal("320.00")


def test_return_appraise_before_receipt_is_refused(make_claim, reviewer, staff):
    claim = approve_all(make_claim(), reviewer)
    batch = returns.return_ship(actor=staff, carrier="EMS", tracking_number="E1", lines=[part_line(claim)], now=NOW)
    with pytest.raises(ConflictError) as refused:
        returns.return_appraise(item=batch.items.get(), actor=reviewer, appraisal="usable", now=NOW)
    assert refused.value.code == "part_not_received"


def test_return_ship_of_another_dealers_line_is_refused(make_claim, reviewer, other_staff):
    claim = approve_all(make_claim(), reviewer)
    with pytest.raises(ConflictError):
        returns.return_ship(actor=other_staff, carrier="x", tracking_number="y", lines=[part_line(claim)], now=NOW)
    assert not ClaimLine.objects.filter(return_item__isnull=False).exists()


def test_part_not_received_by_its_deadline_rejects_its_line_once_and_tells_the_dealer(make_claim, reviewer, staff):
    claim = approve_all(make_claim(), reviewer)
    due = part_line(claim).return_due_on
    assert returns.returns_reject_overdue(now=NOW, today=due) == 0
    assert returns.returns_reject_overdue(now=NOW, today=due + timedelta(days=1)) == 1
    assert returns.returns_reject_overdue(now=NOW, today=due + timedelta(days=2)) == 0
    claim.refresh_from_db()
    line = part_line(claim)
    assert (line.decision, line.reason.code) == ("rejected", "part_not_returned")
    assert claim.status == "partly_approved" and claim.approved_total == Decimal("320.00")
    note = Notification.objects.get(recipient=staff, kind="claim_part_not_returned")
    assert note.object_id == claim.pk and claim.number in note.title


def test_part_received_in_time_is_not_rejected_by_the_deadline_job(make_claim, reviewer, staff):
    claim = approve_all(make_claim(), reviewer)
    batch = returns.return_ship(actor=staff, carrier="EMS", tracking_number="E1", lines=[part_line(claim)], now=NOW)
    returns.return_receive(batch=batch, actor=reviewer, now=NOW)
    assert returns.returns_reject_overdue(now=NOW, today=NOW.date() + timedelta(days=60)) == 0
    assert part_line(claim).decision == "approved"


def test_settlement_issue_lists_each_approved_line_once_with_totals(make_claim, reviewer, finance, staff, rated_dealer):
    claim = approve_all(make_claim(), reviewer)
    statement = settlement.settlement_issue(actor=finance, dealer=rated_dealer, period_end=NOW.date(), now=NOW)
    assert statement.line_count == 2 and statement.total == Decimal("320.00")  # the part awaits its return
    assert set(SettlementLine.objects.values_list("line_id", flat=True)) == set(
        claim.lines.exclude(kind="part").values_list("id", flat=True)
    )
    with pytest.raises(ConflictError) as refused:
        settlement.settlement_issue(actor=finance, dealer=rated_dealer, period_end=NOW.date(), now=NOW)
    assert refused.value.code == "nothing_to_settle"
    assert Notification.objects.filter(recipient=staff, kind="claim_settlement_issued", object_id=statement.pk).exists()
    assert claim.events.filter(kind="settled").exists()


def test_settlement_issue_leaves_lines_decided_after_the_period(make_claim, reviewer, finance, rated_dealer):
    approve_all(make_claim(), reviewer)
    with pytest.raises(ConflictError):
        settlement.settlement_issue(
            actor=finance, dealer=rated_dealer, period_end=NOW.date() - timedelta(days=1), now=NOW
        )


def test_settlement_confirm_credits_the_account_against_what_the_dealer_owes(
    make_claim, reviewer, finance, staff, rated_dealer
):
    approve_all(make_claim(), reviewer)
    settlement.account_post(
        actor=finance, dealer=rated_dealer, kind="debit", amount=Decimal("500.00"), description="配件采购", now=NOW
    )
    statement = settlement.settlement_issue(actor=finance, dealer=rated_dealer, period_end=NOW.date(), now=NOW)
    statement = settlement.settlement_confirm(
        statement=statement, actor=staff, expected_version=statement.version, now=NOW
    )
    assert statement.status == "confirmed" and statement.confirmed_by == staff
    account = DealerAccount.objects.get(dealer=rated_dealer)
    assert account.balance == Decimal("-180.00")
    entry = AccountEntry.objects.get(statement=statement)
    assert (entry.kind, entry.amount, entry.balance_after) == ("credit", Decimal("320.00"), Decimal("-180.00"))
    with pytest.raises(ConflictError) as refused:
        settlement.settlement_confirm(statement=statement, actor=staff, expected_version=statement.version, now=NOW)
    assert refused.value.code == "statement_already_confirmed"
    assert Notification.objects.filter(recipient=finance, kind="claim_settlement_confirmed").exists()


def test_settlement_confirm_by_another_dealer_or_on_a_stale_version_is_refused(
    make_claim, reviewer, finance, staff, other_staff, rated_dealer
):
    approve_all(make_claim(), reviewer)
    statement = settlement.settlement_issue(actor=finance, dealer=rated_dealer, period_end=NOW.date(), now=NOW)
    with pytest.raises(ApplicationError) as refused:
        settlement.settlement_confirm(statement=statement, actor=other_staff, expected_version=statement.version)
    assert refused.value.status == 404
    with pytest.raises(ApplicationError) as refused:
        settlement.settlement_confirm(statement=statement, actor=staff, expected_version=statement.version + 1)
    assert refused.value.status == 412
    assert SettlementStatement.objects.get(pk=statement.pk).status == "issued"
    assert not AccountEntry.objects.exists()


def test_settlement_issue_by_a_reviewer_is_forbidden(make_claim, reviewer, rated_dealer):
    approve_all(make_claim(), reviewer)
    with pytest.raises(ApplicationError) as refused:
        settlement.settlement_issue(actor=reviewer, dealer=rated_dealer, period_end=NOW.date(), now=NOW)
    assert refused.value.status == 403


def test_appealed_line_is_not_settled_until_the_appeal_is_decided(make_claim, reviewer, finance, staff, rated_dealer):
    claim = make_claim()
    lines = list(claim.lines.order_by("position"))
    claim = review.claim_decide(
        claim=claim,
        actor=reviewer,
        expected_version=claim.version,
        decisions=[
            {"line": lines[0].pk, "decision": "approve"},
            {"line": lines[1].pk, "decision": "approve"},
            {"line": lines[2].pk, "decision": "reject", "reason": "missing_documents"},
        ],
        now=NOW,
    )
    review.claim_appeal(claim=claim, actor=staff, expected_version=claim.version, reason="x", now=NOW)
    with pytest.raises(ConflictError):
        settlement.settlement_issue(actor=finance, dealer=rated_dealer, period_end=NOW.date(), now=NOW)


def test_claim_whose_only_line_lost_its_part_is_decided_with_nothing_left_to_decide(make_claim, reviewer):
    claim = make_claim(lines=[{"kind": "part", "part_number": "P-BRK-001", "quantity": Decimal(1)}])
    due = part_line(claim).return_due_on
    assert returns.returns_reject_overdue(now=NOW, today=due + timedelta(days=1)) == 1
    claim.refresh_from_db()
    assert claim.status == "submitted"  # still waiting for the reviewer, who has nothing left to decide
    claim = review.claim_decide(claim=claim, actor=reviewer, expected_version=claim.version, decisions=[], now=NOW)
    assert claim.status == "rejected" and claim.approved_total == 0


def test_periodic_statements_settle_the_last_closed_month_once_per_dealer(
    make_claim, reviewer, finance, staff, other_staff, other_car, rated_dealer, other_dealer, settings
):
    other_dealer.labour_rate = Decimal("100.00")
    other_dealer.save()
    approve_all(make_claim(), reviewer)  # decided Nov 20: 320 settleable (the part awaits its return)
    approve_all(make_claim(unit=other_car, actor=other_staff), reviewer)  # 350 for B
    # In November, the last closed month is October: nothing to settle yet.
    assert settlement.settlements_issue_periodic(now=NOW) == []
    december = NOW + timedelta(days=12)  # Dec 2: November is closed
    issued = settlement.settlements_issue_periodic(now=december)
    assert {s.dealer_id: s.total for s in issued} == {
        rated_dealer.pk: Decimal("320.00"),
        other_dealer.pk: Decimal("350.00"),
    }
    assert all(s.issued_by is None and s.period_end.isoformat() == "2026-11-30" for s in issued)
    # Run again (beat runs it every few hours): nothing new.
    assert settlement.settlements_issue_periodic(now=december + timedelta(hours=6)) == []
    assert SettlementStatement.objects.count() == 2
    assert Notification.objects.filter(recipient=staff, kind="claim_settlement_issued").count() == 1
    # A line decided in December waits for the next month's run.
    later = make_claim(now=december)
    review.claim_decide(
        claim=later,
        actor=reviewer,
        expected_version=later.version,
        decisions=[{"line": line.pk, "decision": "approve"} for line in later.lines.all()],
        now=december,
    )
    assert settlement.settlements_issue_periodic(now=december + timedelta(days=1)) == []
    # The dealer confirms a scheduled statement; finance is told.
    own = next(s for s in issued if s.dealer_id == rated_dealer.pk)
    settlement.settlement_confirm(statement=own, actor=staff, expected_version=own.version, now=december)
    assert Notification.objects.filter(recipient=finance, kind="claim_settlement_confirmed").exists()
    assert "claims.statements_periodic" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def test_statement_period_end_is_the_last_closed_month_or_week():
    from datetime import date

    assert settlement.statement_period_end(date(2026, 12, 1), "month") == date(2026, 11, 30)
    assert settlement.statement_period_end(date(2026, 3, 31), "month") == date(2026, 2, 28)
    assert settlement.statement_period_end(date(2026, 12, 2), "week") == date(2026, 11, 29)  # Wed -> Sunday before
    assert settlement.statement_period_end(date(2026, 11, 30), "week") == date(2026, 11, 29)  # Monday


def test_periodic_statement_is_one_per_dealer_and_period_late_lines_wait_for_the_next(
    make_claim, reviewer, rated_dealer
):
    """A line of November that became settleable after November's scheduled statement does not make a
    second November statement (the dealer is not told twice): it goes on December's."""
    approve_all(make_claim(), reviewer)
    december = NOW + timedelta(days=12)
    (first,) = settlement.settlements_issue_periodic(now=december, period="month")
    approve_all(make_claim(), reviewer)  # decided Nov 20 as well, settleable only now
    assert settlement.settlements_issue_periodic(now=december + timedelta(hours=6), period="month") == []
    assert SettlementStatement.objects.filter(dealer=rated_dealer).count() == 1
    january = NOW + timedelta(days=43)
    (second,) = settlement.settlements_issue_periodic(now=january, period="month")
    assert second.period_end.isoformat() == "2026-12-31" and second.total == first.total
