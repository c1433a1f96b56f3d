"""The claims and dealers dashboard and the dealer scorecard against hand-counted figures.

November 2026 (the claims' clock: now is Nov 20 10:00; figures read on Dec 20, when the old parts of the
November claims are due). Dealer A (labour 80.00/h; each claim 120 labour + 860 part + 200 towing = 1,180):
- C1 submitted Nov 16, all approved Nov 20 (4 days): 1,180 approved; its old part received and scrapped.
- C2 submitted Nov 18, labour reduced to 80 (excessive labour), part approved, towing rejected (missing
  documents) Nov 20 (2 days): 940 approved; its old part never comes back (due Dec 18).
- C3 submitted Nov 19, not decided; its old part is not back either (due Dec 19).
- C0 submitted Oct 10, approved: outside the period.
Dealer B (labour 100.00/h: 150 + 860 + 200 = 1,210): C5 submitted Nov 19, every line rejected (warranty
expired) Nov 20 (1 day); its rejected part owes no return.
Totals: 4 claims, 1 approved, 1 in part, 1 rejected; approval 2 of 3 decided = 66.7 %; claimed 4,750,
approved 2,120; review days 1, 2, 4 -> median 2.0, p90 3.6 (percentile_cont); old parts not returned 2 (C2,
C3). A's statement issued Nov 20 settles C1's 1,180, C2's labour 80 and C0's labour and towing 320 (its part
never came back) = 1,580 — a settlement figure counts the statements issued in the period —, and A confirms it.

Scorecard (A): units sold in November 3, one registered late -> 66.7 %; two cases served by A's outlet, one
answered by phone in 10 minutes (phone response met, resolution met), one in 2 hours (phone response breached,
resolution met) -> 3 of 4 = 75.0 %; claim quality 2,120 / 2,360 = 89.8 %; surveys 5/5/5 and 4/4/4 -> 4.50;
score (66.67 + 75 + 89.83 + 90) / 4 = 80.4, rank 1. B: claim quality 0.0 -> score 0.0, rank 2.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from aftersales.roles import Role
from claims import dashboards
from claims.services import returns, review, settlement
from claims.tests.conftest import NOW, SHANGHAI
from tickets.dashboards.filters import period_filters
from tickets.models import Timer
from tickets.services.tickets import ticket_transition
from tickets.tests.factories import CaseFactory
from tickets.tests.test_dashboards_quality import survey
from warranty.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db
NOVEMBER = period_filters(start=date(2026, 11, 1), end=date(2026, 11, 30))
READ_AT = NOW + timedelta(days=30)


def decide(claim, reviewer, *items):
    lines = list(claim.lines.order_by("position"))
    decisions = [{"line": lines[position - 1].pk, **item} for position, item in items]
    return review.claim_decide(
        claim=claim, actor=reviewer, expected_version=claim.version, decisions=decisions, now=NOW
    )


def approve_all(claim, reviewer):
    return decide(claim, reviewer, *[(n, {"decision": "approve"}) for n in (1, 2, 3)])


def served_case(desk, engineer, outlet, *, reported, contacted):
    ticket = CaseFactory(actor=desk, reported_at=reported, serving_outlet=outlet)
    ticket = ticket_transition(ticket=ticket, action="assign", actor=desk, engineer=engineer, now=contacted)
    for action in ("contact", "resolve"):
        ticket = ticket_transition(ticket=ticket, action=action, actor=engineer, now=contacted)
    return ticket


@pytest.fixture
def world(make_claim, reviewer, finance, staff, other_staff, other_car, rated_dealer, other_dealer, make_user):
    other_dealer.labour_rate = Decimal("100.00")
    other_dealer.save()
    c0 = make_claim(now=datetime(2026, 10, 10, 10, 0, tzinfo=SHANGHAI))
    c0 = review.claim_decide(
        claim=c0,
        actor=reviewer,
        expected_version=c0.version,
        decisions=[{"line": line.pk, "decision": "approve"} for line in c0.lines.all()],
        now=datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI),
    )
    c1 = approve_all(make_claim(now=NOW - timedelta(days=4)), reviewer)
    c2 = decide(
        make_claim(now=NOW - timedelta(days=2)),
        reviewer,
        (1, {"decision": "reduce", "amount": Decimal("80.00"), "reason": "excessive_labour"}),
        (2, {"decision": "approve"}),
        (3, {"decision": "reject", "reason": "missing_documents"}),
    )
    c3 = make_claim(now=NOW - timedelta(days=1))
    c5 = make_claim(now=NOW - timedelta(days=1), unit=other_car, actor=other_staff)
    c5 = decide(c5, reviewer, *[(n, {"decision": "reject", "reason": "warranty_expired"}) for n in (1, 2, 3)])
    batch = returns.return_ship(
        actor=staff, carrier="顺丰", tracking_number="SF1", lines=[c1.lines.get(kind="part")], now=NOW
    )
    returns.return_receive(batch=batch, actor=reviewer, now=NOW)
    returns.return_appraise(item=batch.items.get(), actor=reviewer, appraisal="scrap", now=NOW)
    statement = settlement.settlement_issue(actor=finance, dealer=rated_dealer, period_end=NOW.date(), now=NOW)
    settlement.settlement_confirm(statement=statement, actor=staff, expected_version=statement.version, now=NOW)
    # Registration: three units A sold in November, one registered late.
    for late in (False, False, True):
        UnitFactory(
            product_model=c1.unit.product_model,
            selling_dealer=rated_dealer,
            invoice_date=date(2026, 11, 5),
            registered_late=late,
        )
    # Two cases served by A's outlet: phone response in 10 minutes, and in 2 hours.
    desk, engineer = make_user(Role.SERVICE_DESK), make_user(Role.ENGINEER)
    resolved = datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI)
    quick = served_case(desk, engineer, rated_dealer, reported=resolved - timedelta(minutes=10), contacted=resolved)
    slow = served_case(desk, engineer, rated_dealer, reported=resolved - timedelta(hours=2), contacted=resolved)
    survey(quick, desk, resolved + timedelta(days=2), (5, 5, 5))
    survey(slow, desk, resolved + timedelta(days=2), (4, 4, 4))
    return {"C0": c0, "C1": c1, "C2": c2, "C3": c3, "C5": c5, "statement": statement, "cases": (quick, slow)}


@pytest.fixture
def manager(make_user):
    return make_user(Role.DEPARTMENT_MANAGER)


def listed(client, url) -> set[str]:
    """The claim numbers the claims list shows at ``url``."""
    response = client.get(url)
    assert response.status_code == 200
    import re

    return set(re.findall(r'href="/claims/\d+/">([^<]+)</a>', response.content.decode()))


def test_claims_totals_hand_counted(world, manager):
    totals = dashboards.claims_totals(user=manager, filters=NOVEMBER, now=READ_AT)
    links = totals.pop("links")
    assert totals == {
        "claims": 4,
        "approved": 1,
        "approved_in_part": 1,
        "rejected": 1,
        "approval_rate": 66.7,
        "amount_claimed": Decimal("4750.00"),
        "amount_approved": Decimal("2120.00"),
        "median_review_days": 2.0,
        "p90_review_days": 3.6,
        "parts_not_returned": 2,
        "settled_amount": Decimal("1580.00"),
        "confirmed_amount": Decimal("1580.00"),
        "statements": 1,
    }
    assert set(links) >= {"claims", "approved", "approved_in_part", "rejected", "parts_not_returned"}


def test_every_figure_drills_down_to_the_claims_it_counts(world, manager, client):
    client.force_login(manager)
    totals = dashboards.claims_totals(user=manager, filters=NOVEMBER, now=NOW)
    numbers = {key: world[key].number for key in ("C0", "C1", "C2", "C3", "C5")}
    assert listed(client, totals["links"]["claims"]) == {numbers[k] for k in ("C1", "C2", "C3", "C5")}
    assert listed(client, totals["links"]["approved"]) == {numbers["C1"]}
    assert listed(client, totals["links"]["approved_in_part"]) == {numbers["C2"]}
    assert listed(client, totals["links"]["rejected"]) == {numbers["C5"]}
    reasons = {row["key"]: row for row in dashboards.claims_by_reason(user=manager, filters=NOVEMBER, now=NOW)}
    assert listed(client, reasons["excessive_labour"]["links"]["claims"]) == {numbers["C2"]}
    dealers = dashboards.claims_by_dealer(user=manager, filters=NOVEMBER, now=NOW)
    assert listed(client, dealers[0]["links"]["claims"]) == {numbers[k] for k in ("C1", "C2", "C3")}
    # The list counts what it lists; the drill-down's filters are kept on the page.
    page = client.get(totals["links"]["claims"]).content.decode()
    assert 'data-testid="claim-count">共 4 张索赔单<' in page
    assert 'name="submitted_from" value="2026-11-01"' in page


def test_parts_not_returned_drill_down_reads_the_due_day(world, manager, client, settings):
    client.force_login(manager)
    query = parse_qs(
        urlsplit(
            dashboards.claims_totals(user=manager, filters=NOVEMBER, now=READ_AT)["links"]["parts_not_returned"]
        ).query
    )
    # The link names the day the figure was read on: C2 and C3 (C1's part came back, C5's line owes none).
    assert query["parts_not_returned"] == ["2026-12-20"] and query["submitted_from"] == ["2026-11-01"]
    link = dashboards.claims_totals(user=manager, filters=NOVEMBER, now=READ_AT)["links"]["parts_not_returned"]
    assert listed(client, link) == {world["C2"].number, world["C3"].number}
    # The deadline job rejects them (and October's C0) with "part not returned": still counted.
    assert returns.returns_reject_overdue(now=READ_AT, today=READ_AT.date()) == 3
    assert dashboards.claims_totals(user=manager, filters=NOVEMBER, now=READ_AT)["parts_not_returned"] == 2
    assert listed(client, link) == {world["C2"].number, world["C3"].number}
    assert dashboards.claims_totals(user=manager, filters=NOVEMBER, now=NOW)["parts_not_returned"] == 0


def test_claims_per_dealer_model_and_reason_hand_counted(world, manager, rated_dealer, other_dealer):
    strip = ("links", "name")
    dealers = [
        {k: v for k, v in row.items() if k not in strip}
        for row in dashboards.claims_by_dealer(user=manager, filters=NOVEMBER, now=READ_AT)
    ]
    assert dealers == [
        {
            "key": rated_dealer.code,
            "claims": 3,
            "approved": 1,
            "approved_in_part": 1,
            "rejected": 0,
            "amount_claimed": Decimal("3540.00"),
            "amount_approved": Decimal("2120.00"),
            "approval_rate": 100.0,
            "median_review_days": 3.0,
            "p90_review_days": 3.8,
            "parts_not_returned": 2,
        },
        {
            "key": other_dealer.code,
            "claims": 1,
            "approved": 0,
            "approved_in_part": 0,
            "rejected": 1,
            "amount_claimed": Decimal("1210.00"),
            "amount_approved": Decimal("0.00"),
            "approval_rate": 0.0,
            "median_review_days": 1.0,
            "p90_review_days": 1.0,
            "parts_not_returned": 0,
        },
    ]
    models = dashboards.claims_by_model(user=manager, filters=NOVEMBER, now=READ_AT)
    assert [(row["key"], row["claims"], row["amount_claimed"], row["parts_not_returned"]) for row in models] == [
        (world["C1"].unit.product_model.code, 4, Decimal("4750.00"), 2)
    ]
    reasons = [
        {k: v for k, v in row.items() if k not in strip}
        for row in dashboards.claims_by_reason(user=manager, filters=NOVEMBER, now=READ_AT)
    ]
    assert reasons == [
        {
            "key": "warranty_expired",
            "claims": 1,
            "amount_claimed": Decimal("1210.00"),
            "amount_approved": Decimal("0.00"),
            "approval_rate": 0.0,
            "median_review_days": 1.0,
            "parts_not_returned": 0,
        },
        {
            "key": "missing_documents",
            "claims": 1,
            "amount_claimed": Decimal("200.00"),
            "amount_approved": Decimal("0.00"),
            "approval_rate": 0.0,
            "median_review_days": 2.0,
            "parts_not_returned": 0,
        },
        {
            "key": "excessive_labour",
            "claims": 1,
            "amount_claimed": Decimal("120.00"),
            "amount_approved": Decimal("80.00"),
            "approval_rate": 66.7,
            "median_review_days": 2.0,
            "parts_not_returned": 0,
        },
    ]


def test_a_dealer_sees_its_own_claims_figures_only(world, staff, other_staff, rated_dealer):
    totals = dashboards.claims_totals(user=staff, filters=NOVEMBER, now=READ_AT)
    assert (totals["claims"], totals["amount_claimed"], totals["rejected"], totals["settled_amount"]) == (
        3,
        Decimal("3540.00"),
        0,
        Decimal("1580.00"),
    )
    assert [row["key"] for row in dashboards.claims_by_dealer(user=staff, filters=NOVEMBER, now=READ_AT)] == [
        rated_dealer.code
    ]
    other = dashboards.claims_totals(user=other_staff, filters=NOVEMBER, now=READ_AT)
    assert (other["claims"], other["settled_amount"]) == (1, Decimal("0.00"))
    assert [row["key"] for row in dashboards.claims_by_reason(user=other_staff, filters=NOVEMBER, now=READ_AT)] == [
        "warranty_expired"
    ]


def test_dimension_filters_narrow_the_claims(world, manager, other_dealer):
    only_b = period_filters(start=NOVEMBER.start, end=NOVEMBER.end, outlet=other_dealer.code)
    totals = dashboards.claims_totals(user=manager, filters=only_b, now=READ_AT)
    assert (totals["claims"], totals["amount_claimed"], totals["settled_amount"]) == (
        1,
        Decimal("1210.00"),
        Decimal("0.00"),
    )
    october = period_filters(start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert dashboards.claims_totals(user=manager, filters=october, now=READ_AT)["claims"] == 1  # C0


def test_scorecard_hand_counted_and_ranked(world, manager, rated_dealer, other_dealer):
    quick, slow = world["cases"]
    assert sorted(
        Timer.objects.filter(ticket=quick, state__in=["met", "breached"]).values_list("state", flat=True)
    ) == [
        "met",
        "met",
    ]
    assert sorted(Timer.objects.filter(ticket=slow, state__in=["met", "breached"]).values_list("state", flat=True)) == [
        "breached",
        "met",
    ]
    rows = {row["key"]: row for row in dashboards.dealer_scorecard(user=manager, filters=NOVEMBER, now=READ_AT)}
    a, b = rows[rated_dealer.code], rows[other_dealer.code]
    assert {k: v for k, v in a.items() if k not in ("links", "name")} == {
        "rank": 1,
        "key": rated_dealer.code,
        "registration_on_time_rate": 66.7,
        "response_compliance": 75.0,
        "claim_quality": 89.8,
        "satisfaction": 4.5,
        "score": 80.4,
    }
    assert (b["rank"], b["claim_quality"], b["score"], b["registration_on_time_rate"]) == (2, 0.0, 0.0, None)
    # Dealers with nothing in the period rank after every dealer with a score.
    assert all(row["rank"] > 2 for key, row in rows.items() if key not in (rated_dealer.code, other_dealer.code))
    assert "outlet=" + rated_dealer.code in a["links"]["response_compliance"]


def test_a_dealer_sees_its_own_scorecard_row_with_its_rank(world, staff, other_staff, rated_dealer, other_dealer):
    own = dashboards.dealer_scorecard(user=staff, filters=NOVEMBER, now=READ_AT)
    assert [(row["key"], row["rank"], row["score"]) for row in own] == [(rated_dealer.code, 1, 80.4)]
    other = dashboards.dealer_scorecard(user=other_staff, filters=NOVEMBER, now=READ_AT)
    assert [(row["key"], row["rank"]) for row in other] == [(other_dealer.code, 2)]


def test_dashboard_pages_api_and_export_show_the_same_figures(world, manager, client, staff, other_dealer):
    client.force_login(manager)
    query = "start=2026-11-01&end=2026-11-30"
    page = client.get(f"/dashboard/claims/?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    for key in ("claims_totals", "claims_by_dealer", "claims_by_model", "claims_by_reason"):
        assert f'data-testid="table-{key}"' in html
    # Only the filters that narrow claims are offered; the others are kept, hidden, for the other sections.
    assert 'type="text" name="outlet"' in html and 'type="text" name="severity"' not in html
    assert '<input type="hidden" name="severity"' in html
    api = client.get(f"/api/v1/dashboard/claims/?{query}").json()
    totals = next(table for table in api["tables"] if table["key"] == "claims_totals")
    assert totals["rows"][0]["claims"] == 4 and totals["rows"][0]["amount_claimed"] in ("4750.00", 4750.0)
    csv_text = client.get(f"/dashboard/claims/export.csv?{query}&table=claims_by_dealer").content.decode("utf-8-sig")
    assert other_dealer.code in csv_text and "1210" in csv_text
    assert client.get(f"/dashboard/claims/export.xlsx?{query}").status_code == 200
    card = client.get(f"/api/v1/dashboard/scorecard/?{query}").json()["tables"][0]["rows"]
    assert {row["key"] for row in card} >= {other_dealer.code}
    # A dealer's people: their own scorecard row, never another dealer's.
    client.force_login(staff)
    card = client.get(f"/api/v1/dashboard/scorecard/?{query}").json()["tables"][0]["rows"]
    assert [row["rank"] for row in card] == [1]
    page = client.get(f"/dashboard/scorecard/?{query}").content.decode()
    assert other_dealer.code not in page


def test_someone_who_may_not_read_claims_gets_no_figures(world, make_user):
    engineer = make_user(Role.ENGINEER)  # the maker's staff, without the claims read permission
    assert dashboards.claims_totals(user=engineer, filters=NOVEMBER, now=READ_AT)["claims"] == 0
    assert dashboards.claims_by_dealer(user=engineer, filters=NOVEMBER, now=READ_AT) == []
    assert dashboards.claims_by_reason(user=engineer, filters=NOVEMBER, now=READ_AT) == []
