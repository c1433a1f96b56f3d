from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.demo import DEMO_USERS, seed_users
from tickets.models import RepairOrder, Ticket
from warranty.tests.factories import PolicyFactory, ProductModelFactory, UnitFactory, version_from_preset

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def password(username):
    return next(user.password for user in DEMO_USERS if user.username == username)


@pytest.fixture
def unit():
    policy = PolicyFactory(regime="car_2021")
    version_from_preset(policy, "car_2021")
    bought = timezone.localdate() - timedelta(days=100)
    return UnitFactory(
        serial="LSVCASE000000001",
        product_model=ProductModelFactory(policy=policy),
        invoice_date=bought,
        delivery_date=bought,
        usage_reading=5000,
    )


def test_intake_to_signed_printable_repair_order(page, live_server, login, unit):
    seed_users()
    login("desk", password("desk"))
    page.click("nav a[href='/cases/new/']")

    page.fill("#id_serial", "lsvcase000000001")
    page.click("[data-testid=lookup]")
    expect(page.get_by_test_id("unit-panel").get_by_test_id("covered")).to_be_visible()
    expect(page.get_by_test_id("entitlement").first).to_contain_text("CAR-19")

    page.fill("#id_reporter_name", "周先生")
    page.fill("#id_contact_phone", "13912345678")
    page.select_option("#id_severity", "critical")
    page.fill("#id_description", "仪表盘报警，无法启动")
    page.click("[data-testid=intake-form] button[type=submit]")
    expect(page.get_by_test_id("status")).to_have_text("新建")
    expect(page.get_by_test_id("timers")).to_contain_text("剩余")

    page.select_option("select[name=engineer]", label="王建国")
    page.click("button[data-action=assign]")
    expect(page.get_by_test_id("engineer")).to_have_text("王建国")
    # The desk has no field work (tickets.permissions): the assigned engineer takes over on his own login.
    expect(page.locator("button[data-action=check_in]")).to_have_count(0)
    case_url = page.url
    page.context.clear_cookies()
    login("engineer", password("engineer"))
    page.goto(case_url)
    page.click("button[data-action=check_in]")
    expect(page.get_by_test_id("status")).to_have_text("处理中")
    page.fill("[data-testid=resolve-form] #id_problem_code", "battery_terminal")
    page.click("button[data-action=resolve]")
    expect(page.get_by_test_id("status")).to_have_text("已解决")

    page.click("[data-testid=sign-link]")
    page.fill("#id_findings", "蓄电池接线松动")
    page.fill("#id_work_done", "紧固接线并检测")
    pad = page.get_by_test_id("signature-pad").bounding_box()
    page.mouse.move(pad["x"] + 20, pad["y"] + 100)
    page.mouse.down()
    for step in range(1, 30):
        page.mouse.move(pad["x"] + 20 + step * 15, pad["y"] + 100 + (step % 5) * 12)
    page.mouse.up()
    page.click("[data-testid=sign-form] button[type=submit]")

    expect(page.get_by_test_id("findings")).to_contain_text("蓄电池接线松动")
    signature = page.get_by_test_id("signature")
    expect(signature).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", signature.element_handle()) > 0

    ticket = Ticket.objects.get()
    assert ticket.status == "confirmed"
    assert RepairOrder.objects.get(ticket=ticket).signer_name == "周先生"
    assert list(ticket.events.order_by("at", "id").values_list("kind", flat=True)) == [
        "created",
        "assign",
        "check_in",
        "resolve",
        "repair_order_signed",
        "confirm",
    ]


def test_signing_without_drawing_is_refused(page, live_server, login, unit, django_user_model):
    from tickets.services.tickets import ticket_create, ticket_transition

    seed_users()
    desk = django_user_model.objects.get(username="desk")
    engineer = django_user_model.objects.get(username="engineer")
    ticket = ticket_create(actor=desk, channel="phone", reporter_name="x", description="y", severity="minor")
    for action in ("assign", "check_in", "resolve"):
        ticket = ticket_transition(ticket=ticket, action=action, actor=desk, engineer=engineer)
    login("engineer", password("engineer"))
    page.goto(f"{live_server.url}/cases/{ticket.pk}/sign/")
    page.fill("#id_findings", "a")
    page.fill("#id_work_done", "b")
    page.click("[data-testid=sign-form] button[type=submit]")
    expect(page.locator(".errorlist")).to_contain_text("客户必须签名")
    assert not RepairOrder.objects.exists()
