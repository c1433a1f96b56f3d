"""The claims pages: the dealer portal, the reviewer's queue and claim page, returns, finance's statements."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from claims.models import Claim, ReturnBatch, SettlementStatement
from claims.services import review
from claims.tests.conftest import NOW, photo

pytestmark = pytest.mark.django_db


def new_claim_post(car, operation, **extra):
    at = timezone.localtime(timezone.now() - timedelta(days=2))
    body = {
        "unit": car.serial.lower(),
        "claim_type": "repair",
        "problem_code": "BRAKE-NOISE",
        "fault_description": "制动异响",
        "fault_date": at.date().isoformat(),
        "repair_agreed_at": at.strftime("%Y-%m-%dT%H:%M"),
        "repair_completed_at": (at + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "usage": "12500",
        "labour-TOTAL_FORMS": "2",
        "labour-INITIAL_FORMS": "0",
        "labour-0-operation": operation.code,
        "labour-0-hours": "1.5",
        "part-TOTAL_FORMS": "2",
        "part-INITIAL_FORMS": "0",
        "part-0-part_number": "P-BRK-001",
        "part-0-quantity": "1",
        "part-0-old_part_serial": "OLD-9",
        "other-TOTAL_FORMS": "1",
        "other-INITIAL_FORMS": "0",
        "photo": photo(),
    }
    body.update(extra)
    return body


def test_new_claim_page_submits_with_a_photo(client, staff, sold_car, operation, brake_part):
    client.force_login(staff)
    assert client.get("/claims/new/").status_code == 200
    response = client.post("/claims/new/", new_claim_post(sold_car, operation, submit="1"))
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/claims/{claim.pk}/"
    assert claim.status == "submitted" and claim.claimed_total == Decimal("980.00")
    assert claim.attachments.get().kind == "photo"
    page = client.get(f"/claims/{claim.pk}/").content.decode()
    assert claim.number in page and 'data-check="documents" data-outcome="failed"' in page


def test_new_claim_page_for_another_dealers_unit_answers_like_an_unknown_one(client, staff, other_car, operation):
    client.force_login(staff)
    theirs = client.post("/claims/new/", new_claim_post(other_car, operation))
    unknown = client.post("/claims/new/", {**new_claim_post(other_car, operation), "unit": "NO-SUCH-UNIT"})
    assert theirs.status_code == unknown.status_code == 200
    assert theirs.context["form"].errors["unit"] == unknown.context["form"].errors["unit"]
    assert not Claim.objects.exists()


def test_new_claim_page_with_impossible_line_keeps_the_input_and_creates_nothing(client, staff, sold_car, operation):
    client.force_login(staff)
    body = new_claim_post(sold_car, operation, **{"part-0-part_number": "P-UNLISTED", "submit": "1"})
    response = client.post("/claims/new/", body)
    assert response.status_code == 200
    part_form = response.context["formsets"][1].forms[0]
    assert "unit_price" in part_form.errors
    assert part_form["part_number"].value() == "P-UNLISTED"
    assert not Claim.objects.exists()


def test_claim_page_reviewer_decides_lines_and_a_stale_page_changes_nothing(client, make_claim, reviewer):
    claim = make_claim()
    client.force_login(reviewer)
    page = client.get(f"/claims/{claim.pk}/").content.decode()
    assert 'data-testid="decide-form"' in page
    labour, part, towing = claim.lines.order_by("position")
    body = {
        "version": claim.version,
        f"decision_{labour.pk}": "reduce",
        f"amount_{labour.pk}": "60",
        f"reason_{labour.pk}": "excessive_labour",
        f"decision_{part.pk}": "approve",
        f"decision_{towing.pk}": "reject",
        f"reason_{towing.pk}": "missing_documents",
    }
    stale = client.post(f"/claims/{claim.pk}/decide/", {**body, "version": claim.version - 1}, follow=True)
    assert Claim.objects.get(pk=claim.pk).status == "submitted"
    assert [message.level_tag for message in stale.context["messages"]] == ["error"]
    client.post(f"/claims/{claim.pk}/decide/", body)
    claim.refresh_from_db()
    assert claim.status == "partly_approved" and claim.approved_total == Decimal("920.00")


def test_claim_page_dealer_cannot_post_decisions(client, make_claim, staff):
    claim = make_claim()
    client.force_login(staff)
    assert client.post(f"/claims/{claim.pk}/decide/", {"version": claim.version}).status_code == 403


def test_claim_page_of_another_dealer_is_404_like_a_missing_one(client, make_claim, other_staff):
    claim = make_claim()
    client.force_login(other_staff)
    assert client.get(f"/claims/{claim.pk}/").status_code == 404
    assert client.get("/claims/999999/").status_code == 404


def test_queue_page_lists_oldest_deadline_first_for_reviewers_only(client, make_claim, reviewer, staff):
    late = make_claim(now=NOW - timedelta(days=1), problem_code="A")
    early = make_claim(now=NOW - timedelta(days=8), problem_code="B")
    client.force_login(reviewer)
    page = client.get("/claims/review/").content.decode()
    assert page.index(early.number) < page.index(late.number)
    assert late.number not in client.get("/claims/review/?type=refund").content.decode()
    client.force_login(staff)
    assert client.get("/claims/review/").status_code == 403


def test_appeal_page_flow_reaches_a_second_reviewer(client, make_claim, reviewer, second_reviewer, staff):
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
    client.force_login(staff)
    assert 'data-testid="appeal-form"' in client.get(f"/claims/{claim.pk}/").content.decode()
    client.post(f"/claims/{claim.pk}/appeal/", {"version": claim.version, "reason": "单据已补", "lines": [lines[2].pk]})
    claim.refresh_from_db()
    assert claim.status == "appealed"
    client.force_login(reviewer)
    assert 'data-testid="appeal-other"' in client.get(f"/claims/{claim.pk}/").content.decode()
    client.force_login(second_reviewer)
    client.post(f"/claims/{claim.pk}/decide/", {"version": claim.version, f"decision_{lines[2].pk}": "approve"})
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.appeal_reviewer == second_reviewer


def test_returns_pages_ship_receive_and_appraise(client, make_claim, staff, reviewer):
    claim = make_claim()
    part = claim.lines.get(kind="part")
    client.force_login(staff)
    assert "OLD-1" in client.get("/claims/returns/").content.decode()
    response = client.post("/claims/returns/", {"carrier": "顺丰", "tracking_number": "SF9", "lines": [part.pk]})
    batch = ReturnBatch.objects.get()
    assert response["Location"] == f"/claims/returns/{batch.pk}/"
    client.force_login(reviewer)
    client.post(f"/claims/returns/{batch.pk}/", {"action": "receive"})
    item = batch.items.get()
    client.post(f"/claims/returns/{batch.pk}/", {"action": "appraise", "item": item.pk, "appraisal": "scrap"})
    item.refresh_from_db()
    assert item.received_at and item.appraisal == "scrap"


def test_statement_pages_issue_confirm_and_download(client, make_claim, reviewer, finance, staff, rated_dealer):
    claim = make_claim()
    review.claim_decide(
        claim=claim,
        actor=reviewer,
        expected_version=claim.version,
        decisions=[{"line": line.pk, "decision": "approve"} for line in claim.lines.all()],
    )
    client.force_login(finance)
    response = client.post("/claims/statements/", {"period_end": timezone.localdate().isoformat()})
    statement = SettlementStatement.objects.get()
    assert response["Location"] == f"/claims/statements/{statement.pk}/"
    client.force_login(staff)
    page = client.get(f"/claims/statements/{statement.pk}/").content.decode()
    assert statement.number in page and 'data-testid="confirm"' in page
    client.post(f"/claims/statements/{statement.pk}/", {"version": statement.version})
    statement.refresh_from_db()
    assert statement.status == "confirmed"
    xlsx = client.get(f"/claims/statements/{statement.pk}/xlsx/")
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][1] == statement.number and rows[3][1] == Decimal("320.00")
    client.force_login(finance)
    assert client.post(f"/claims/statements/{statement.pk}/", {"version": statement.version}).status_code == 403
    # The inbox links each claim notification to its claim or statement.
    inbox = client.get("/cases/inbox/").content.decode()
    assert f'href="/claims/statements/{statement.pk}/" data-testid="open-statement"' in inbox
    client.force_login(staff)
    inbox = client.get("/cases/inbox/").content.decode()
    assert f'href="/claims/{claim.pk}/" data-testid="open-claim"' in inbox
    assert f'href="/claims/statements/{statement.pk}/" data-testid="open-statement"' in inbox


def test_account_page_finance_records_a_debit(client, finance, staff, rated_dealer):
    client.force_login(finance)
    client.post(f"/claims/accounts/{rated_dealer.pk}/", {"kind": "debit", "amount": "50", "description": "配件款"})
    client.force_login(staff)
    page = client.get(f"/claims/accounts/{rated_dealer.pk}/").content.decode()
    assert "-50.00" in page and "配件款" in page
    assert (
        client.post(
            f"/claims/accounts/{rated_dealer.pk}/", {"kind": "credit", "amount": "50", "description": "x"}
        ).status_code
        == 403
    )


def test_claim_pages_speak_english_and_chinese(client, make_claim, staff):
    claim = make_claim()
    staff.language = "en"
    staff.save()
    client.force_login(staff)
    english = client.get(f"/claims/{claim.pk}/").content.decode()
    assert "Automatic checks" in english and "submitted" in english
    staff.language = "zh-hans"
    staff.save()
    chinese = client.get(f"/claims/{claim.pk}/").content.decode()
    assert "自动校验" in chinese and "已提交" in chinese


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("dealer_staff", {"Claims", "Part returns", "Statements"}),
        ("claims_reviewer", {"Claims", "Review queue", "Part returns"}),
        ("finance", {"Claims", "Statements"}),
    ],
)
def test_navigation_shows_the_claims_pages_by_role(client, make_user, role, sees):
    user = make_user(role, language="en")
    client.force_login(user)
    labels = {str(item["label"]) for item in client.get("/").context["nav_items"]}
    assert sees <= labels
    assert not ({"Claims", "Review queue", "Part returns", "Statements"} - sees) & labels


def test_admin_configures_programmes_and_shows_claims_read_only(admin_client, make_claim):
    claim = make_claim()
    assert admin_client.get("/admin/claims/claimprogramme/add/").status_code == 200
    assert admin_client.get("/admin/claims/labouroperation/add/").status_code == 200
    listing = admin_client.get("/admin/claims/claim/")
    assert listing.status_code == 200 and claim.number in listing.content.decode()
    assert admin_client.get("/admin/claims/claim/add/").status_code == 403
    assert admin_client.post(f"/admin/claims/claim/{claim.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Claim.objects.filter(pk=claim.pk).exists()
