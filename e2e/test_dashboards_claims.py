# ruff: noqa: F811  (fixtures imported from the claims tests are parameters of the test)
"""The claims and dealers dashboard in headless Chromium: a manager filters it, drills from a figure into the
claims behind it and downloads the export; the dealer sees only its own scorecard row. The pages in both
languages are kept as screenshots (``.data/screenshots/``) to be looked at. The November 2026 claims world of
claims/tests/test_dashboards.py (its figures are counted there by hand)."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from aftersales.demo import seed_users
from aftersales.models import User
from claims.tests.conftest import (  # noqa: F401
    brake_part,
    car,
    car_model,
    car_policy,
    dealer,
    dealer_user,
    finance,
    make_claim,
    operation,
    other_car,
    other_dealer,
    other_staff,
    rated_dealer,
    repair_type,
    reviewer,
    sold_car,
    staff,
)
from claims.tests.test_dashboards import world  # noqa: F401
from dealers.models import DealerMember
from e2e.test_dashboards import shoot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NOVEMBER = "start=2026-11-01&end=2026-11-30"


def test_manager_filters_claims_dashboard_drills_down_and_exports(page, live_server, world, rated_dealer, other_dealer):
    seed_users()
    sign_in(page, live_server, "deptmgr")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    expect(page.get_by_test_id("headline-claims")).to_be_visible()
    page.get_by_test_id("dashboard-nav").locator("a[href^='/dashboard/claims/']").click()
    page.fill("#id_start", "2026-11-01")
    page.fill("#id_end", "2026-11-30")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url("**/dashboard/claims/?*start=2026-11-01*")
    totals = page.get_by_test_id("table-claims_totals")
    expect(totals.locator("[data-figure=claims]")).to_have_text("4")
    expect(totals.locator("[data-figure=rejected]")).to_have_text("1")
    by_dealer = page.get_by_test_id("table-claims_by_dealer")
    expect(by_dealer.locator("tbody tr")).to_have_count(2)
    expect(page.locator("[data-chart='chart-data-claims_by_dealer']")).to_have_attribute("data-drawn", "true")
    shoot(page, "dashboard-claims-zh.png")

    # Filter by one dealer: B's single rejected claim.
    page.fill("#id_outlet", other_dealer.code)
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url(f"**outlet={other_dealer.code}*")
    expect(totals.locator("[data-figure=claims]")).to_have_text("1")
    expect(by_dealer.locator("tbody tr")).to_have_count(1)
    page.fill("#id_outlet", "")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url(lambda url: f"outlet={other_dealer.code}" not in url)

    # The CSV of the per-dealer table has the same numbers; the whole page as XLSX.
    with page.expect_download() as download_info:
        page.get_by_test_id("csv-claims_by_dealer").click()
    rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8-sig"))))
    own = next(row for row in rows if row[0] == rated_dealer.code)
    assert own[2:4] == ["3", "3540.00"]
    with page.expect_download() as workbook_info:
        page.get_by_test_id("export-xlsx").click()
    assert workbook_info.value.suggested_filename.endswith(".xlsx")

    # English, then drill from dealer A's claims into the claims behind the figure.
    page.click("button[data-language=en]")
    expect(page.get_by_test_id("section-title")).to_have_text("Claims and dealers")
    expect(page.locator("[data-chart='chart-data-claims_by_reason']")).to_have_attribute("data-drawn", "true")
    shoot(page, "dashboard-claims-en.png")
    by_dealer.locator("tr", has_text=rated_dealer.code).locator("[data-figure=claims]").click()
    page.wait_for_url("**/claims/?*submitted_from=2026-11-01*")
    expect(page.get_by_test_id("claim-count")).to_have_text("3 claims")
    listed = page.get_by_test_id("claims")
    for key in ("C1", "C2", "C3"):
        expect(listed).to_contain_text(world[key].number)
    expect(listed).not_to_contain_text(world["C5"].number)
    expect(listed).not_to_contain_text(world["C0"].number)

    # The scorecard: every dealer, ranked.
    page.goto(f"{live_server.url}/dashboard/scorecard/?{NOVEMBER}")
    card = page.get_by_test_id("table-scorecard")
    expect(card.locator("tbody tr").first).to_contain_text(rated_dealer.code)
    expect(card).to_contain_text(other_dealer.code)
    shoot(page, "dashboard-scorecard-manager-en.png")


def test_dealer_sees_only_its_own_scorecard(page, live_server, world, rated_dealer, other_dealer):
    seed_users()
    dealer_user = User.objects.get(username="dealer")
    DealerMember.objects.update_or_create(user=dealer_user, defaults={"dealer": rated_dealer})
    sign_in(page, live_server, "dealer")
    page.goto(f"{live_server.url}/dashboard/scorecard/?{NOVEMBER}")
    card = page.get_by_test_id("table-scorecard")
    expect(card.locator("tbody tr")).to_have_count(1)
    row = card.locator("tbody tr")
    expect(row).to_contain_text(rated_dealer.code)
    expect(row.locator("td").first).to_have_text("1")  # its rank among every dealer
    expect(row).to_contain_text("80.4")
    expect(page.locator("body")).not_to_contain_text(other_dealer.code)
    shoot(page, "dashboard-scorecard-dealer-zh.png")
    # Its claims figures: its own claims only.
    page.goto(f"{live_server.url}/dashboard/claims/?{NOVEMBER}")
    expect(page.get_by_test_id("table-claims_totals").locator("[data-figure=claims]")).to_have_text("3")
    expect(page.locator("body")).not_to_contain_text(other_dealer.code)
    page.click("button[data-language=en]")
    page.goto(f"{live_server.url}/dashboard/scorecard/?{NOVEMBER}")
    expect(page.get_by_test_id("section-title")).to_have_text("Dealer scorecard")
    shoot(page, "dashboard-scorecard-dealer-en.png")
    # Another dealer's figures cannot be asked for: the filter finds nothing of theirs.
    page.goto(f"{live_server.url}/dashboard/scorecard/?{NOVEMBER}&outlet={other_dealer.code}")
    expect(page.get_by_test_id("table-scorecard").locator("tbody tr [data-figure]")).to_have_count(0)
