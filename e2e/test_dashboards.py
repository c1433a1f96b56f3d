"""A manager opens the dashboard, filters it, drills from a figure into the cases behind it, and downloads the
numbers; the SLA page in both languages is kept as a screenshot (``.data/screenshots/``) to be looked at."""

import csv
import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from aftersales.demo import DEMO_USERS, seed_users
from aftersales.models import User
from dealers.models import DealerMember
from tickets.tests.test_dashboards_sla import world  # noqa: F401 - the March 2026 cases

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("AFTERSALES_DATA_DIR", settings.BASE_DIR / ".data")) / "screenshots"


def password(username):
    return next(user.password for user in DEMO_USERS if user.username == username)


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    page.screenshot(path=str(path.with_suffix(".top.png")))  # the first screen, readable at full size
    assert path.stat().st_size > 10_000  # a real picture, not an empty page
    return path


def sign_in(page, live_server, username):
    """Signing in like the shared fixture, except that a manager lands on /dashboard/, not on /."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password(username))
    page.click("button[type=submit].primary")


def test_manager_filters_drills_down_and_exports(page, live_server, world):  # noqa: F811
    seed_users()
    sign_in(page, live_server, "svcmgr")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    # The service manager lands on the headline figures.
    expect(page.get_by_test_id("dashboard-home")).to_be_visible()
    expect(page.get_by_test_id("headline-sla")).to_be_visible()

    page.get_by_test_id("dashboard-nav").locator("a[href^='/dashboard/sla/']").click()
    page.fill("#id_start", "2026-03-01")
    page.fill("#id_end", "2026-03-31")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url("**/dashboard/sla/?*start=2026-03-01*")
    compliance = page.get_by_test_id("table-compliance")
    phone = compliance.locator("tr", has_text="电话响应")
    expect(phone.locator("[data-figure=met]")).to_have_text("3")
    expect(phone.locator("[data-figure=breached]")).to_have_text("1")
    expect(page.locator("[data-chart='chart-data-compliance']")).to_have_attribute("data-drawn", "true")
    expect(page.locator("[data-chart='chart-data-compliance'] canvas")).to_have_count(1)
    shoot(page, "dashboard-sla-zh.png")

    # Filter by channel: only C came by e-mail.
    page.select_option("#id_channel", "email")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url("**channel=email*")
    expect(compliance.locator("tr", has_text="电话响应").locator("[data-figure=met]")).to_have_text("1")
    page.select_option("#id_channel", "")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url(lambda url: "channel=email" not in url)

    # The CSV of the compliance table has the same numbers.
    with page.expect_download() as download_info:
        page.get_by_test_id("csv-compliance").click()
    download = download_info.value
    assert download.suggested_filename == "dashboard-sla-compliance-2026-03-01-2026-03-31.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    phone_row = next(row for row in rows if row[0] == "电话响应")
    assert phone_row[1:4] == ["3", "1", "75.0"]
    with page.expect_download() as workbook_info:
        page.get_by_test_id("export-xlsx").click()
    assert workbook_info.value.suggested_filename.endswith(".xlsx")

    # English, then drill from "met" into the cases behind it.
    page.click("button[data-language=en]")
    expect(page.get_by_test_id("section-title")).to_have_text("SLA compliance and risk")
    expect(page.locator("[data-chart='chart-data-trend']")).to_have_attribute("data-drawn", "true")
    shoot(page, "dashboard-sla-en.png")
    page.get_by_test_id("table-compliance").locator("tr", has_text="Phone response").locator(
        "[data-figure=met]"
    ).click()
    page.wait_for_url("**/cases/?*figure=met:first_response:2026-03-01:2026-03-31*")
    queue = page.get_by_test_id("queue")
    for key in "EAC":
        expect(queue).to_contain_text(world[key].number)
    expect(queue).not_to_contain_text(world["B"].number)
    expect(queue.locator("tbody tr")).to_have_count(3)


def test_dealer_sees_only_its_own_figures(page, live_server, login, world):  # noqa: F811
    seed_users()
    dealer_user = User.objects.get(username="dealer")
    DealerMember.objects.update_or_create(user=dealer_user, defaults={"dealer": world["A"].serving_outlet})
    login("dealer", password("dealer"))
    page.goto(f"{live_server.url}/dashboard/sla/?start=2026-03-01&end=2026-03-31")
    phone = page.get_by_test_id("table-compliance").locator("tr", has_text="电话响应")
    expect(phone.locator("[data-figure=met]")).to_have_text("1")
    expect(phone.locator("[data-figure=breached]")).to_have_text("0")
    expect(page.locator("body")).not_to_contain_text(world["C"].number)
    shoot(page, "dashboard-sla-dealer-zh.png")
