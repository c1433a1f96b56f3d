"""The service desk's pages in headless Chromium on the demo data: role home pages whose counts follow new
cases without a reload, the queue that shows a new case without a reload, labels in both languages, and
the phone header. Screenshots go to ``.data/screenshots/`` to be looked at."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from aftersales.demo import DEMO_USERS
from aftersales.models import User
from tickets.services.tickets import ticket_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("AFTERSALES_DATA_DIR", settings.BASE_DIR / ".data")) / "screenshots"


def password(username):
    return next(user.password for user in DEMO_USERS if user.username == username)


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"desk-{name}.png"), full_page=True)


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.DEBUG = False
    settings.HOME_POLL_SECONDS = 1


def open_case(description):
    desk = User.objects.get(username="desk")
    return ticket_create(
        actor=desk,
        channel="phone",
        reporter_name="钱女士",
        contact_phone="13700000001",
        description=description,
        severity="critical",
    )


def test_desk_home_counts_and_queue_follow_a_new_case_without_reload(page, live_server, login, demo):
    login("desk", password("desk"))
    unassigned = page.get_by_test_id("count-unassigned").locator(".value")
    before = int(unassigned.inner_text())
    expect(page.get_by_test_id("bench-followups")).to_be_visible()
    expect(page.get_by_test_id("bench-at-risk")).to_contain_text("SR")
    shoot(page, "home-desk-zh")
    page.evaluate("window.notReloaded = true")
    ticket = open_case("空调不制冷，客户很着急")
    expect(unassigned).to_have_text(str(before + 1))
    expect(page.get_by_test_id("bench-unassigned")).to_contain_text(ticket.number)
    assert page.evaluate("window.notReloaded") is True

    page.goto(f"{live_server.url}/cases/")
    page.evaluate("window.notReloaded = true")
    second = open_case("打印机卡纸")
    expect(page.get_by_test_id("queue-body")).to_contain_text(second.number)
    assert page.evaluate("window.notReloaded") is True
    shoot(page, "queue-zh")
    page.click("[data-language=en]")
    expect(page.get_by_test_id("queue")).to_contain_text("Critical fault")
    shoot(page, "queue-en")


def test_engineer_home_shows_todays_visits_and_own_cases(page, live_server, login, demo):
    User.objects.filter(username="engineer").update(language="en")
    login("engineer", password("engineer"))
    expect(page.get_by_test_id("bench-visits")).to_contain_text("on-site inspection")
    expect(page.get_by_test_id("bench-mine")).to_contain_text("SR")
    assert int(page.get_by_test_id("count-mine").locator(".value").inner_text()) >= 1
    shoot(page, "home-engineer-en")
    page.click("[data-language=zh-hans]")
    expect(page.get_by_test_id("bench-visits")).to_contain_text("巡检")
    shoot(page, "home-engineer-zh")


def test_header_search_finds_a_customer_and_the_queue_reports_bad_filters(page, live_server, login, demo):
    login("desk", password("desk"))
    page.fill("[data-testid=header-search]", "王芳")
    page.press("[data-testid=header-search]", "Enter")
    expect(page.get_by_test_id("search-customers")).to_contain_text("王芳")
    expect(page.get_by_test_id("search-units")).to_contain_text("LSVE5000000000002")
    page.goto(f"{live_server.url}/cases/?severity=nonsense")
    expect(page.get_by_test_id("filter-errors")).to_contain_text("nonsense")
    # Filters as widgets, saved as a named view.
    page.goto(f"{live_server.url}/cases/")
    page.get_by_test_id("status-chips").locator("input[value=assigned]").uncheck()
    page.select_option("#id_severity", "critical")
    page.click("[data-testid=queue-filters] button[type=submit]")
    expect(page.get_by_test_id("queue-body")).not_to_contain_text("一般故障")
    page.fill("[data-testid=view-name]", "紧急未结")
    page.click("[data-testid=save-view]")
    expect(page.get_by_test_id("saved-view")).to_have_text("紧急未结")
    page.goto(f"{live_server.url}/cases/")
    page.click("[data-testid=saved-view]")
    expect(page.locator("#id_severity")).to_have_value("critical")
    expect(page.get_by_test_id("status-chips").locator("input[value=assigned]")).not_to_be_checked()
    shoot(page, "queue-filters-zh")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_phone_header_is_one_row_with_a_menu(browser, live_server, demo, language):
    User.objects.filter(username="desk").update(language=language)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "desk")
    page.fill("#id_password", password("desk"))
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
    header = page.locator("#topbar").bounding_box()
    assert header["height"] < 70, header
    expect(page.locator("nav.nav")).to_be_hidden()
    shoot(page, f"phone-home-{language}")
    page.click("[data-testid=menu-toggle]")
    expect(page.locator("nav.nav")).to_be_visible()
    expect(page.get_by_test_id("header-search")).to_be_visible()
    shoot(page, f"phone-menu-{language}")
    context.close()


def test_intake_looks_up_as_typed_fills_the_caller_and_rechecks_the_entitlement(page, live_server, login, demo):
    login("desk", password("desk"))
    page.goto(f"{live_server.url}/cases/new/")
    page.fill("#id_serial", "lsve5000000000002")  # 王芳's car, 50 days and 2,900 km old; no click
    expect(page.get_by_test_id("covered")).to_be_visible()
    expect(page.get_by_test_id("unit-customer")).to_contain_text("王芳")
    expect(page.locator("#id_reporter_name")).to_have_value("王芳")
    expect(page.locator("#id_contact_phone")).to_have_value("13900139001")
    results = page.get_by_test_id("entitlement-result")
    expect(results.get_by_test_id("entitlement").first).to_be_visible()
    before = results.inner_text()
    page.fill("#id_description", "行驶中刹车失灵")
    expect(page.locator("input[data-failure=brakes]")).to_be_checked()
    expect(results).to_have_attribute("data-failures", "brakes")
    expect(results).not_to_have_text(before)
    shoot(page, "intake-zh")
    # The caller stays editable: what the agent types is kept on the next lookup.
    page.fill("#id_reporter_name", "王先生（家属）")
    page.fill("#id_serial", "LSVE5000000000002 ")
    page.wait_for_timeout(800)
    expect(page.locator("#id_reporter_name")).to_have_value("王先生（家属）")
    page.select_option("#id_severity", "critical")
    page.click("[data-testid=intake-form] button[type=submit]")
    expect(page.get_by_test_id("status")).to_have_text("新建")
    page.click("[data-language=en]")
    page.goto(f"{live_server.url}/cases/new/")
    page.fill("#id_serial", "LSVE5000000000002")
    expect(page.get_by_test_id("covered")).to_be_visible()
    shoot(page, "intake-en")
