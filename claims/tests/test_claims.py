"""Creating, checking, submitting and correcting claims (the dealer's side)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from aftersales.errors import ApplicationError, ConflictError
from claims.models import Claim, ClaimCheck, ClaimEvent
from claims.services import claims as claim_services
from claims.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def test_claim_submit_with_documents_prices_lines_and_passes_every_check(make_claim):
    claim = make_claim()
    lines = list(claim.lines.order_by("position"))
    assert [line.claimed_amount for line in lines] == [Decimal("120.00"), Decimal("860.00"), Decimal("200.00")]
    assert claim.claimed_total == Decimal("1180.00")
    assert lines[0].rate == Decimal("80.00") and lines[0].standard_hours == Decimal("2.00")
    assert lines[1].unit_price == lines[1].list_price == Decimal("860.00")
    assert lines[1].return_required and lines[1].return_due_on == (NOW + timedelta(days=30)).date()
    assert claim.status == "submitted" and claim.submission_count == 1
    assert claim.review_due_at == NOW + timedelta(days=30)
    checks = {(check.code, check.line_id): check for check in ClaimCheck.objects.filter(claim=claim)}
    assert all(check.passed for check in checks.values()), [c.message for c in checks.values() if not c.passed]
    assert claim.failed_checks == []
    entitlement = next(check for check in checks.values() if check.code == "entitlement")
    assert "CAR-19" in entitlement.params["rules"]
    assert entitlement.params["results"][0]["explanation"]


def check_of(claim, code, line=None):
    checks = ClaimCheck.objects.filter(claim=claim, code=code, submission__number=claim.submission_count)
    if line is not None:
        checks = checks.filter(line=line)
    return checks.get()


def test_claim_submit_failed_checks_are_stored_with_proposed_reasons_and_do_not_block(
    make_claim, sold_car, unrated_operation
):
    sold_car.registered_at = sold_car.registered_at.replace(month=7)  # 2026-07-05: 34 days after the sale
    sold_car.save()
    claim = make_claim(
        documents=False,
        repair_completed_at=NOW - timedelta(days=40),
        repair_agreed_at=NOW - timedelta(days=41),
        fault_date=(NOW - timedelta(days=41)).date(),
        lines=[
            {"kind": "labour", "operation": unrated_operation, "hours": Decimal("3")},
            {"kind": "part", "part_number": "P-BRK-001", "quantity": Decimal(2), "unit_price": Decimal("900")},
            {"kind": "part", "part_number": "P-NOT-LISTED", "quantity": Decimal(1), "unit_price": Decimal("10")},
        ],
    )
    assert claim.status == "submitted"
    assert set(claim.failed_checks) == {"registration", "labour_hours", "part_price", "deadline", "documents"}
    registration = check_of(claim, "registration")
    assert registration.proposed_reason.code == "not_registered"
    assert "2026-07-05" in registration.message and "2026-06-21" in registration.message
    labour, listed, unlisted = claim.lines.order_by("position")
    assert check_of(claim, "labour_hours", labour).proposed_reason.code == "excessive_labour"
    price = check_of(claim, "part_price", listed)
    assert not price.passed and price.proposed_reason.code == "price_over_list"
    assert "860.00" in price.message
    assert check_of(claim, "part_price", unlisted).params["variant"] == "unknown"
    assert check_of(claim, "deadline").proposed_reason.code == "submitted_too_late"
    documents = check_of(claim, "documents")
    assert documents.params["missing"] == ["photo", "repair_record"]
    assert check_of(claim, "period").passed


def test_claim_submit_usage_over_the_limit_fails_the_period_check(make_claim):
    claim = make_claim(usage=70000)  # 包修期 60,000 km
    period = check_of(claim, "period")
    assert not period.passed and period.proposed_reason.code == "usage_over_limit"
    assert "period" in claim.failed_checks


def test_claim_submit_same_unit_and_problem_within_the_window_is_a_duplicate(make_claim):
    first = make_claim()
    second = make_claim(fault_date=(NOW - timedelta(days=10)).date())
    duplicate = check_of(second, "duplicate")
    assert not duplicate.passed and duplicate.params["numbers"] == [first.number]
    assert duplicate.proposed_reason.code == "duplicate_claim"
    assert check_of(first, "duplicate").passed


def test_claim_submit_remedy_the_engine_does_not_support_fails_the_entitlement_check(make_claim):
    from claims.models import ClaimType

    claim = make_claim(claim_type=ClaimType.objects.get(code="refund"))
    entitlement = check_of(claim, "entitlement")
    assert not entitlement.passed
    assert entitlement.params["remedies"] == ["REFUND"] and "CAR-19" in entitlement.params["rules"]


def test_claim_create_with_idempotency_key_retried_creates_one_claim(make_claim, staff, sold_car, repair_type):
    values = {
        "unit": sold_car,
        "claim_type": repair_type,
        "problem_code": "X",
        "fault_description": "x",
        "fault_date": NOW.date(),
        "repair_agreed_at": NOW - timedelta(hours=3),
        "repair_completed_at": NOW - timedelta(hours=1),
        "lines": [{"kind": "other", "cost_kind": "towing", "amount": Decimal("10")}],
        "now": NOW,
    }
    first, created = claim_services.claim_create(
        actor=staff, idempotency_key="k-1", fingerprint="f1", submit=True, **values
    )
    again, created_again = claim_services.claim_create(
        actor=staff, idempotency_key="k-1", fingerprint="f1", submit=True, **values
    )
    assert created and not created_again and again.pk == first.pk
    assert Claim.objects.count() == 1 and first.submission_count == 1
    with pytest.raises(ApplicationError) as refused:
        claim_services.claim_create(actor=staff, idempotency_key="k-1", fingerprint="other", **values)
    assert refused.value.code == "idempotency_key_reused" and refused.value.status == 422


def test_claim_create_by_suspended_dealer_is_refused(make_claim, rated_dealer):
    rated_dealer.suspended = True
    rated_dealer.save()
    with pytest.raises(ConflictError) as refused:
        make_claim()
    assert refused.value.code == "dealer_suspended"
    assert not Claim.objects.exists()


def test_claim_create_for_another_dealers_unit_is_refused_like_an_unknown_one(make_claim, other_car):
    with pytest.raises(ApplicationError) as refused:
        make_claim(unit=other_car)
    assert refused.value.code == "claim_invalid" and list(refused.value.details) == ["unit"]
    assert not Claim.objects.exists()


def test_claim_create_by_internal_staff_is_forbidden(make_claim, reviewer):
    with pytest.raises(ApplicationError) as refused:
        make_claim(actor=reviewer)
    assert refused.value.status == 403


def test_claim_create_invalid_lines_and_dates_are_reported_per_field(make_claim):
    with pytest.raises(ApplicationError) as refused:
        make_claim(
            repair_completed_at=NOW - timedelta(days=5),
            lines=[{"kind": "labour", "hours": Decimal(0)}, {"kind": "part", "quantity": Decimal(1)}],
        )
    details = refused.value.details
    assert "repair_completed_at" in details
    assert not Claim.objects.exists()
    with pytest.raises(ApplicationError) as refused:
        make_claim(lines=[{"kind": "labour", "hours": Decimal(0)}, {"kind": "part", "quantity": Decimal(1)}])
    assert set(refused.value.details["lines"]) == {"0", "1"}
    assert "part_number" in refused.value.details["lines"]["1"]


def test_claim_resubmit_after_return_keeps_both_versions_and_what_changed(make_claim, staff, reviewer, operation):
    from claims.services.review import claim_return

    claim = make_claim()
    claim = claim_return(claim=claim, actor=reviewer, expected_version=claim.version, note="请补充照片", now=NOW)
    assert claim.status == "returned"
    labour = claim.lines.get(position=1)
    claim = claim_services.claim_update(
        claim=claim,
        actor=staff,
        expected_version=claim.version,
        problem_code="BRAKE-GRIND",
        lines=[
            {"id": labour.pk, "kind": "labour", "operation": operation, "hours": Decimal("2.00")},
            {"kind": "other", "cost_kind": "towing", "amount": Decimal("150.00")},
        ],
        now=NOW,
    )
    assert claim.claimed_total == Decimal("310.00")
    assert claim.lines.get(position=1).pk == labour.pk
    claim = claim_services.claim_resubmit(claim=claim, actor=staff, expected_version=claim.version, now=NOW)
    assert claim.status == "submitted" and claim.submission_count == 2
    second = claim.submissions.get(number=2)
    changed = {(c.get("field"), c.get("line")) for c in second.changes}
    assert ("problem_code", None) in changed
    assert ("hours", 1) in changed and ("claimed_amount", 2) in changed
    assert claim.submissions.get(number=1).snapshot["problem_code"] == "BRAKE-NOISE"
    assert list(ClaimEvent.objects.filter(claim=claim).values_list("kind", flat=True)) == [
        "created",
        "attachment_added",
        "attachment_added",
        "submit",
        "return",
        "updated",
        "resubmit",
    ]


def test_claim_update_on_stale_version_is_412_and_changes_nothing(make_claim, staff):
    claim = make_claim(submit=False)
    with pytest.raises(ApplicationError) as refused:
        claim_services.claim_update(claim=claim, actor=staff, expected_version=claim.version - 1, problem_code="Z")
    assert refused.value.status == 412
    claim.refresh_from_db()
    assert claim.problem_code == "BRAKE-NOISE"


def test_claim_submit_twice_is_an_invalid_transition(make_claim, staff):
    claim = make_claim()
    with pytest.raises(ConflictError) as refused:
        claim_services.claim_submit(claim=claim, actor=staff, now=NOW)
    assert refused.value.code == "invalid_transition"


def test_claim_attachment_with_content_not_matching_its_name_is_refused(make_claim, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    claim = make_claim(submit=False, documents=False)
    with pytest.raises(ApplicationError) as refused:
        claim_services.claim_attachment_add(
            claim=claim, actor=staff, kind="photo", file=SimpleUploadedFile("x.png", b"GIF89a..."), now=NOW
        )
    assert refused.value.code == "attachment_invalid"
    assert not claim.attachments.exists()
