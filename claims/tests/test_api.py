"""The claims API end to end: create with Idempotency-Key, the review queue and its filters, decisions with
versions (412), appeals, old-part returns, settlement with CSV / XLSX, the dealer directory and accounts."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from claims.models import Claim, ReturnBatch
from claims.tests.conftest import NOW, photo

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def claim_body(car, operation, **extra):
    return {
        "unit": car.serial.lower(),
        "claim_type": "repair",
        "problem_code": "BRAKE-NOISE",
        "fault_description": "制动异响",
        "fault_date": (NOW - timedelta(days=3)).date().isoformat(),
        "repair_agreed_at": (NOW - timedelta(days=3)).isoformat(),
        "repair_completed_at": (NOW - timedelta(days=2)).isoformat(),
        "usage": 12500,
        "lines": [
            {"kind": "labour", "operation": operation.code, "hours": "1.50"},
            {"kind": "part", "part_number": "P-BRK-001", "quantity": "1", "old_part_serial": "OLD-1"},
            {"kind": "other", "cost_kind": "towing", "amount": "200.00"},
        ],
        **extra,
    }


@pytest.fixture
def dealer_api(staff):
    return client_for(staff)


def test_api_claim_create_and_submit_answers_money_as_decimal_strings(dealer_api, sold_car, operation, brake_part):
    response = dealer_api.post("/api/v1/claims/", claim_body(sold_car, operation, submit=True), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["claimed_total"] == "1180.00"
    assert [line["claimed_amount"] for line in body["lines"]] == ["120.00", "860.00", "200.00"]
    assert {check["code"] for check in body["checks"]} >= {"registration", "period", "entitlement", "documents"}
    documents = next(check for check in body["checks"] if check["code"] == "documents")
    assert documents["outcome"] == "failed" and documents["proposed_reason"] == "missing_documents"


def test_api_claim_create_retried_with_idempotency_key_creates_one_claim(dealer_api, sold_car, operation, brake_part):
    body = claim_body(sold_car, operation, submit=True)
    first = dealer_api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    again = dealer_api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert Claim.objects.count() == 1
    other = dealer_api.post("/api/v1/claims/", {**body, "usage": 1}, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


def test_api_claim_naming_another_dealers_unit_answers_like_an_unknown_one(dealer_api, other_car, operation):
    theirs = dealer_api.post("/api/v1/claims/", claim_body(other_car, operation), format="json")
    unknown = dealer_api.post(
        "/api/v1/claims/", {**claim_body(other_car, operation), "unit": "NO-SUCH-UNIT"}, format="json"
    )
    assert theirs.status_code == unknown.status_code == 400
    assert theirs.json()["code"] == "invalid"
    assert theirs.json()["details"]["unit"] == [
        message.replace("NO-SUCH-UNIT", other_car.serial) for message in unknown.json()["details"]["unit"]
    ]


def test_api_claim_bad_input_is_a_stable_error_and_creates_nothing(dealer_api, sold_car, operation):
    body = claim_body(sold_car, operation, lines=[{"kind": "labour", "operation": operation.code}], extra_field=1)
    response = dealer_api.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "details"} and "extra_field" in response.json()["details"]
    response = dealer_api.post(
        "/api/v1/claims/", claim_body(sold_car, operation, lines=[{"kind": "labour"}]), format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "claim_invalid"
    assert "0" in response.json()["details"]["lines"]
    assert not Claim.objects.exists()


def test_api_claim_other_dealer_gets_404_like_a_missing_claim(make_claim, other_staff):
    claim = make_claim()
    client = client_for(other_staff)
    theirs = client.get(f"/api/v1/claims/{claim.pk}/")
    missing = client.get("/api/v1/claims/999999999/")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert client.get("/api/v1/claims/").json()["results"] == []


def test_api_service_desk_cannot_read_claims(make_claim, desk_user):
    make_claim()
    assert client_for(desk_user).get("/api/v1/claims/").status_code == 403


def test_api_review_queue_oldest_deadline_first_with_filters(make_claim, reviewer, unrated_operation):
    late = make_claim(now=NOW - timedelta(days=5), problem_code="A")
    early = make_claim(now=NOW - timedelta(days=9), problem_code="B")
    failing = make_claim(
        problem_code="C", lines=[{"kind": "labour", "operation": unrated_operation, "hours": Decimal(1)}]
    )
    client = client_for(reviewer)
    numbers = [row["number"] for row in client.get("/api/v1/claims/queue/").json()["results"]]
    assert numbers == [early.number, late.number, failing.number]
    failed = client.get("/api/v1/claims/queue/?check=labour_hours").json()["results"]
    assert [row["number"] for row in failed] == [failing.number]
    passed = client.get("/api/v1/claims/queue/?check=passed").json()["results"]
    assert {row["number"] for row in passed} == {early.number, late.number}
    dealer_code = late.dealer.code
    assert len(client.get(f"/api/v1/claims/queue/?dealer={dealer_code}&type=repair").json()["results"]) == 3
    assert client.get("/api/v1/claims/queue/?type=refund").json()["results"] == []


def decide_body(claim, version=None):
    labour, part, towing = claim.lines.order_by("position")
    return {
        "version": version or claim.version,
        "decisions": [
            {"line": labour.pk, "decision": "reduce", "amount": "80.00", "reason": "excessive_labour"},
            {"line": part.pk, "decision": "approve"},
            {"line": towing.pk, "decision": "reject", "reason": "missing_documents", "note": "无拖车单据"},
        ],
    }


def test_api_decide_stale_version_is_412_and_loses_nothing(make_claim, reviewer):
    claim = make_claim()
    client = client_for(reviewer)
    stale = client.post(f"/api/v1/claims/{claim.pk}/decide/", decide_body(claim, claim.version + 5), format="json")
    assert stale.status_code == 412 and stale.json()["code"] == "stale_version"
    assert stale.json()["details"]["version"] == [str(claim.version)]
    done = client.post(f"/api/v1/claims/{claim.pk}/decide/", decide_body(claim), format="json")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["approved_total"]) == ("partly_approved", "940.00")


def test_api_decide_unknown_reason_code_or_line_is_400(make_claim, reviewer):
    claim = make_claim()
    body = decide_body(claim)
    body["decisions"][0]["reason"] = "no-such-reason"
    response = client_for(reviewer).post(f"/api/v1/claims/{claim.pk}/decide/", body, format="json")
    assert response.status_code == 400 and "decisions" in response.json()["details"]
    body = decide_body(claim)
    body["decisions"][0]["line"] = 999999
    response = client_for(reviewer).post(f"/api/v1/claims/{claim.pk}/decide/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "claim_invalid"


def test_api_decide_by_dealer_is_403(make_claim, dealer_api):
    claim = make_claim()
    response = dealer_api.post(f"/api/v1/claims/{claim.pk}/decide/", decide_body(claim), format="json")
    assert response.status_code == 403


def test_api_return_correct_resubmit_appeal_and_second_review(
    make_claim, reviewer, second_reviewer, dealer_api, operation
):
    claim = make_claim()
    reviewer_api = client_for(reviewer)
    returned = reviewer_api.post(
        f"/api/v1/claims/{claim.pk}/return/", {"version": claim.version, "note": "补照片"}, format="json"
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    version = returned.json()["version"]
    upload = dealer_api.post(
        f"/api/v1/claims/{claim.pk}/attachments/", {"kind": "photo", "file": photo("more.png")}, format="multipart"
    )
    assert upload.status_code == 201
    corrected = dealer_api.patch(f"/api/v1/claims/{claim.pk}/", {"version": version + 1, "usage": 12600}, format="json")
    assert corrected.status_code == 200 and corrected.json()["usage"] == 12600
    resubmitted = dealer_api.post(
        f"/api/v1/claims/{claim.pk}/resubmit/", {"version": corrected.json()["version"]}, format="json"
    )
    assert resubmitted.status_code == 200 and resubmitted.json()["submission_count"] == 2
    submissions = dealer_api.get(f"/api/v1/claims/{claim.pk}/submissions/").json()
    assert {"field": "usage", "from": 12500, "to": 12600} in submissions[1]["changes"]
    claim.refresh_from_db()
    decided = reviewer_api.post(f"/api/v1/claims/{claim.pk}/decide/", decide_body(claim), format="json")
    towing = claim.lines.get(position=3)
    appealed = dealer_api.post(
        f"/api/v1/claims/{claim.pk}/appeal/",
        {"version": decided.json()["version"], "reason": "已补拖车单据", "lines": [towing.pk]},
        format="json",
    )
    assert appealed.status_code == 200 and appealed.json()["status"] == "appealed"
    same = reviewer_api.post(
        f"/api/v1/claims/{claim.pk}/decide/",
        {"version": appealed.json()["version"], "decisions": [{"line": towing.pk, "decision": "approve"}]},
        format="json",
    )
    assert same.status_code == 409 and same.json()["code"] == "appeal_needs_other_reviewer"
    second = client_for(second_reviewer).post(
        f"/api/v1/claims/{claim.pk}/decide/",
        {"version": appealed.json()["version"], "decisions": [{"line": towing.pk, "decision": "approve"}]},
        format="json",
    )
    assert second.status_code == 200 and second.json()["approved_total"] == "1140.00"
    kinds = [event["kind"] for event in dealer_api.get(f"/api/v1/claims/{claim.pk}/events/").json()["results"]]
    assert kinds[-3:] == ["decided", "appeal", "appeal_decided"]


def test_api_part_return_ship_receive_appraise(make_claim, reviewer, dealer_api, other_staff):
    claim = make_claim()
    part = claim.lines.get(kind="part")
    shipped = dealer_api.post(
        "/api/v1/part-returns/", {"carrier": "顺丰", "tracking_number": "SF100", "lines": [part.pk]}, format="json"
    )
    assert shipped.status_code == 201, shipped.content
    batch = shipped.json()
    assert batch["items"][0]["claim"] == claim.number and batch["items"][0]["old_part_serial"] == "OLD-1"
    assert client_for(other_staff).get(f"/api/v1/part-returns/{batch['id']}/").status_code == 404
    reviewer_api = client_for(reviewer)
    received = reviewer_api.post(f"/api/v1/part-returns/{batch['id']}/receive/", {}, format="json")
    assert received.status_code == 200 and received.json()["received_at"]
    appraised = reviewer_api.post(
        f"/api/v1/part-returns/{batch['id']}/appraise/",
        {"item": batch["items"][0]["id"], "appraisal": "usable"},
        format="json",
    )
    assert appraised.status_code == 200 and appraised.json()["items"][0]["appraisal"] == "usable"
    assert dealer_api.get("/api/v1/part-returns/?received=true").json()["count"] == 1
    assert ReturnBatch.objects.get().received_at is not None


def test_api_settlement_issue_confirm_and_export(make_claim, reviewer, finance, dealer_api, rated_dealer):
    claim = make_claim()
    client_for(reviewer).post(f"/api/v1/claims/{claim.pk}/decide/", decide_body(claim), format="json")
    finance_api = client_for(finance)
    issued = finance_api.post(
        "/api/v1/settlements/",
        {"dealer": rated_dealer.code, "period_end": timezone.localdate().isoformat()},
        format="json",
    )
    assert issued.status_code == 201, issued.content
    statement = issued.json()
    assert statement["total"] == "80.00"  # the part waits for its return; the towing was rejected
    assert [line["settled"] for line in statement["lines"]] == ["80.00"]
    again = finance_api.post(
        "/api/v1/settlements/",
        {"dealer": rated_dealer.code, "period_end": timezone.localdate().isoformat()},
        format="json",
    )
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_settle"
    confirmed = dealer_api.post(
        f"/api/v1/settlements/{statement['id']}/confirm/", {"version": statement["version"]}, format="json"
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["balance_after"] == "80.00"
    xlsx = dealer_api.get(f"/api/v1/settlements/{statement['id']}/xlsx/")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][1] == statement["number"]
    assert [claim.number, claim.unit.serial, 1] == values[-1][:3] and Decimal(str(values[-1][6])) == Decimal("80")
    csv = dealer_api.get(f"/api/v1/settlements/{statement['id']}/csv/")
    assert csv.content.startswith("\ufeff".encode()) and claim.number.encode() in csv.content
    account = dealer_api.get(f"/api/v1/dealers/{rated_dealer.pk}/account/").json()
    assert account["balance"] == "80.00" and account["entries"][0]["statement"] == statement["number"]


def test_api_dealer_directory_is_scoped(staff, rated_dealer, other_dealer, reviewer):
    mine = client_for(staff).get("/api/v1/dealers/").json()["results"]
    assert [row["code"] for row in mine] == [rated_dealer.code]
    assert mine[0]["labour_rate"] == "80.00"
    assert client_for(staff).get(f"/api/v1/dealers/{other_dealer.pk}/").status_code == 404
    everyone = client_for(reviewer).get("/api/v1/dealers/").json()["results"]
    assert {row["code"] for row in everyone} == {rated_dealer.code, other_dealer.code}


def test_api_account_post_by_finance_and_refused_to_dealer(finance, staff, rated_dealer):
    posted = client_for(finance).post(
        f"/api/v1/dealers/{rated_dealer.pk}/account/",
        {"kind": "debit", "amount": "99.50", "description": "配件款"},
        format="json",
    )
    assert posted.status_code == 201 and posted.json()["balance_after"] == "-99.50"
    refused = client_for(staff).post(
        f"/api/v1/dealers/{rated_dealer.pk}/account/",
        {"kind": "credit", "amount": "1000", "description": "x"},
        format="json",
    )
    assert refused.status_code == 403


def test_api_idempotency_key_too_long_is_refused_in_the_users_language(dealer_api, sold_car, operation):
    response = dealer_api.post(
        "/api/v1/claims/", claim_body(sold_car, operation), format="json", HTTP_IDEMPOTENCY_KEY="k" * 201
    )
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_invalid"
    assert "200" in response.json()["message"] and not Claim.objects.exists()
