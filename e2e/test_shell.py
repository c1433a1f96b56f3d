from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from aftersales.demo import DEMO_USERS, seed_users
from aftersales.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_desk_user_sees_home_in_chinese_then_switches_to_english(page, live_server, login):
    seed_users()
    desk = next(demo for demo in DEMO_USERS if demo.role == Role.SERVICE_DESK)
    login(desk.username, desk.password)

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("welcome")).to_contain_text("欢迎")
    expect(page.locator("nav")).to_contain_text("首页")

    page.click("button[data-language=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("welcome")).to_contain_text("Welcome")
    expect(page.locator("nav")).to_contain_text("Home")

    # The choice is the user's: a fresh visit stays in English.
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("welcome")).to_contain_text("Welcome")


def test_api_docs_render_without_leaving_the_machine(page, live_server):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("aftersales API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert hosts <= {"localhost", "127.0.0.1", None}, hosts
