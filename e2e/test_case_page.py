"""The case page in headless Chromium: a complaint to answer, forms that answer in place (htmx) with errors
beside the field, only the forms the case's state calls for, labour on a warranty repair, the signing kiosk
and long descriptions. Screenshots in both languages are kept under ``.data/screenshots/`` to be looked at."""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.demo import DEMO_USERS, seed_users
from aftersales.models import User
from tickets.models import ChargeLine, RepairOrder, Ticket
from tickets.services.followups import complaints_notify_overdue, followup_complete
from tickets.services.repairs import RepairFacts
from tickets.services.tickets import ticket_create, ticket_transition
from tickets.services.work import charge_line_add
from warranty.tests.factories import PolicyFactory, ProductModelFactory, UnitFactory, version_from_preset

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("AFTERSALES_DATA_DIR", settings.BASE_DIR / ".data")) / "screenshots"


def password(username):
    return next(user.password for user in DEMO_USERS if user.username == username)


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    page.screenshot(path=str(path.with_suffix(".top.png")))
    assert path.stat().st_size > 10_000
    return path


def unit(serial, *, bought_days_ago):
    policy = PolicyFactory(regime="car_2021")
    version_from_preset(policy, "car_2021")
    bought = timezone.localdate() - timedelta(days=bought_days_ago)
    return UnitFactory(
        serial=serial,
        product_model=ProductModelFactory(policy=policy),
        invoice_date=bought,
        delivery_date=bought,
        usage_reading=5000,
    )


def people():
    seed_users()
    return {name: User.objects.get(username=name) for name in ("desk", "engineer", "svcmgr", "deptmgr")}


def working_case(who, *, serial="LSVWARRANTY00001", bought_days_ago=100, description="仪表盘报警，无法启动"):
    ticket = ticket_create(
        actor=who["desk"],
        channel="phone",
        reporter_name="周先生",
        contact_phone="13912345678",
        description=description,
        severity="major",
        unit=unit(serial, bought_days_ago=bought_days_ago),
    )
    ticket = ticket_transition(ticket=ticket, action="assign", actor=who["desk"], engineer=who["engineer"])
    if not ticket.chargeable:
        ticket = ticket_transition(ticket=ticket, action="check_in", actor=who["engineer"])
    return ticket


def resolved(ticket, who):
    return ticket_transition(
        ticket=ticket,
        action="resolve",
        actor=who["engineer"],
        repair=RepairFacts(problem_code="battery_terminal", findings="蓄电池接线松动", work_done="紧固接线并检测"),
    )


@pytest.fixture
def as_user(page, live_server):
    def login(username, language="zh-hans"):
        User.objects.filter(username=username).update(language=language)
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password(username))
        page.click("button[type=submit].primary")
        page.wait_for_load_state()

    return login


def mark_page(page):
    """A flag on the window: still there after a form answered, so the page was not loaded again."""
    page.evaluate("window.__notReloaded = true")


def not_reloaded(page):
    return page.evaluate("window.__notReloaded === true")


def in_viewport(page, locator):
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_complaint_shows_on_queue_and_case_with_its_deadline_escalation_and_answer(page, live_server, as_user):
    who = people()
    ticket = resolved(working_case(who), who)
    followup_complete(
        followup=ticket.followups.get(), actor=who["desk"], attitude=1, quality=2, solved=2, runs_normally=False
    )
    # Past its answer deadline: the sweep sends it up to the department managers.
    Ticket.objects.filter(pk=ticket.pk).update(complaint_due_at=timezone.now() - timedelta(hours=1))
    assert complaints_notify_overdue(now=timezone.now()) == 1

    as_user("desk")
    page.goto(f"{live_server.url}/cases/")
    row = page.locator("[data-testid=queue] tr", has_text=ticket.number)
    expect(row.get_by_test_id("complaint-badge")).to_have_text("投诉")

    page.goto(f"{live_server.url}/cases/{ticket.pk}/")
    head = page.get_by_test_id("case-head")
    expect(head.get_by_test_id("complaint-badge")).to_have_text("投诉")
    expect(head.get_by_test_id("next-deadline")).to_contain_text("投诉答复")
    expect(head.get_by_test_id("next-deadline")).to_contain_text("超时")
    expect(page.get_by_test_id("timer-complaint")).to_contain_text("超时")
    escalation = page.get_by_test_id("complaint-escalation")
    expect(escalation).to_contain_text("未按时答复：已转部门经理")
    expect(escalation).to_contain_text("刘芳")  # the demo department manager
    shoot(page, "case-complaint.zh-hans.png")

    mark_page(page)
    head.get_by_role("link", name="答复投诉…").click()
    page.get_by_test_id("complaint-form").locator("textarea").fill("已致电客户道歉，安排复检")
    page.get_by_test_id("complaint-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("case-head").get_by_test_id("complaint-badge")).to_have_text("投诉已答复")
    expect(page.get_by_test_id("timer-complaint")).to_contain_text("逾期答复")
    assert not_reloaded(page)
    ticket.refresh_from_db()
    assert ticket.complaint_answered_at is not None
    assert ticket.events.filter(kind="complaint_answered").get().data["answer"] == "已致电客户道歉，安排复检"

    as_user("desk", "en")
    page.goto(f"{live_server.url}/cases/{ticket.pk}/")
    expect(page.get_by_test_id("complaint-escalation")).to_contain_text("sent to the department managers")
    shoot(page, "case-complaint.en.png")


def test_case_forms_answer_in_place_with_errors_beside_the_field(page, live_server, as_user, tmp_path):
    who = people()
    ticket = working_case(who)
    as_user("engineer")
    page.goto(f"{live_server.url}/cases/{ticket.pk}/")
    mark_page(page)

    charge = page.get_by_test_id("charge-form")
    charge.locator("[name=kind]").select_option("part")
    charge.locator("[name=part_number]").fill("BAT-01")
    charge.locator("[name=quantity]").fill("2 个")
    charge.locator("button[type=submit]").click()
    quantity = page.locator("[data-testid=charge-form] [data-field=quantity]")
    expect(quantity.locator(".errorlist")).to_have_text("输入一个数字。")
    expect(page.locator("[data-testid=charge-form] [name=quantity]")).to_have_value("2 个")
    expect(page.locator("[data-testid=charge-form] [name=part_number]")).to_have_value("BAT-01")
    expect(page.locator("#case")).not_to_contain_text("quantity:")
    assert in_viewport(page, quantity)
    assert not_reloaded(page)

    big = tmp_path / "report.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))
    page.locator("#attachment-form > summary").click()
    page.locator("[data-testid=attachment-form] input[type=file]").set_input_files(str(big))
    page.get_by_test_id("attachment-form").locator("button[type=submit]").click()
    upload = page.locator("[data-testid=attachment-form] [data-field=file]")
    expect(upload.locator(".errorlist")).to_have_text("文件超过 10 MB。")
    expect(page.locator("#case")).to_contain_text("文件超过 10 MB。")
    assert page.locator("#case").inner_text().count("文件超过 10 MB。") == 1
    assert in_viewport(page, upload)
    assert not_reloaded(page)

    # Someone else changes the case meanwhile: the page says so, without the version number.
    ticket_transition(ticket=Ticket.objects.get(pk=ticket.pk), action="contact", actor=who["engineer"])
    page.locator("[data-testid=charge-form] [name=quantity]").fill("1")
    page.locator("[data-testid=worklog-form] [name=summary]").fill("电话沟通")
    page.get_by_test_id("worklog-form").locator("button[type=submit]").click()
    expect(page.locator(".log")).to_contain_text("电话沟通")  # adding a note does not change the case
    page.locator("button[data-action=wait_customer]").evaluate("button => button.form.version.value = '1'")
    page.locator("button[data-action=wait_customer]").click()
    error = page.get_by_test_id("action-error")
    expect(error).to_contain_text("其他人已修改此工单")
    assert not error.inner_text().strip().endswith(str(Ticket.objects.get(pk=ticket.pk).version))
    assert not_reloaded(page)
    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"


def test_quotation_with_a_bad_quantity_keeps_the_text_and_says_why(page, live_server, as_user):
    who = people()
    ticket = working_case(who, serial="LSVPAID000000001", bought_days_ago=365 * 9)
    assert ticket.chargeable
    as_user("engineer")
    page.goto(f"{live_server.url}/cases/{ticket.pk}/")
    mark_page(page)
    quotation = page.get_by_test_id("quotation-form")
    expect(quotation).to_be_visible()  # paid service without a quotation: the form the case needs now
    quotation.locator("[name=kind_1]").select_option("labour")
    quotation.locator("[name=description_1]").fill("检测")
    quotation.locator("[name=quantity_1]").fill("1.5")
    quotation.locator("[name=description_2]").fill("更换蓄电池")
    quotation.locator("[name=quantity_2]").fill("一个")
    quotation.locator("button[type=submit]").click()
    second = page.locator("[data-testid=quotation-form] [data-field=quantity_2]")
    expect(second.locator(".errorlist")).to_have_text("输入一个数字。")
    expect(second.locator("input")).to_have_value("一个")
    expect(page.locator("[data-testid=quotation-form] [name=quantity_1]")).to_have_value("1.5")
    expect(page.locator("#case")).not_to_contain_text("quantity_2")
    assert not_reloaded(page)
    assert not ticket.quotations.exists()
    page.locator("[data-testid=quotation-form] [name=quantity_2]").fill("1")
    page.get_by_test_id("quotation-form").locator("button[type=submit]").click()
    # A part that is not on the price list: said beside that line's part number, the lines kept.
    part = page.locator("[data-testid=quotation-form] [data-field=part_number_2]")
    expect(part.locator(".errorlist")).to_contain_text("不在价格表")
    expect(page.locator("[data-testid=quotation-form] [name=description_2]")).to_have_value("更换蓄电池")
    expect(page.locator("#case")).not_to_contain_text("part_number")
    page.locator("[data-testid=quotation-form] [name=kind_2]").select_option("labour")
    page.get_by_test_id("quotation-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("quotation")).to_have_count(1)
    expect(page.get_by_test_id("status")).to_have_text("等待客户")
    assert not_reloaded(page)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(1100)  # the countdowns of the new part tick once
    shoot(page, "case-paid.zh-hans.png")
    as_user("engineer", "en")
    page.goto(f"{live_server.url}/cases/{ticket.pk}/")
    shoot(page, "case-paid.en.png")


def test_without_javascript_a_refused_form_comes_back_with_the_error_and_the_input(browser, live_server):
    who = people()
    ticket = working_case(who)
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "engineer")
    page.fill("#id_password", password("engineer"))
    page.click("button[type=submit].primary")
    page.goto(f"{live_server.url}/cases/{ticket.pk}/")
    charge = page.get_by_test_id("charge-form")
    charge.locator("[name=kind]").select_option("labour")
    charge.locator("[name=quantity]").fill("abc")
    response_status = []
    page.on("response", lambda response: response_status.append(response.status))
    charge.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert 400 in response_status
    expect(page.locator("[data-testid=charge-form] [data-field=quantity] .errorlist")).to_have_text("输入一个数字。")
    expect(page.locator("[data-testid=charge-form] [name=quantity]")).to_have_value("abc")
    page.locator("[data-testid=charge-form] [name=quantity]").fill("1.5")
    page.get_by_test_id("charge-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("charges")).to_contain_text("1.50")
    context.close()


def test_warranty_case_shows_what_its_state_allows_and_keeps_the_header_in_view(page, live_server, as_user):
    who = people()
    ticket = working_case(who)
    as_user("engineer")
    page.goto(f"{live_server.url}/cases/{ticket.pk}/")
    # In progress on a free warranty repair: resolve, work log, parts and labour are open ...
    for name in ("resolve", "worklog", "charge"):
        expect(page.get_by_test_id(f"{name}-form")).to_be_visible()
    # ... quotation, substitute unit and escalation are one click away.
    for name in ("quotation", "loaner", "escalate"):
        expect(page.get_by_test_id(f"{name}-form")).to_be_hidden()
    shoot(page, "case-warranty.zh-hans.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "case-warranty.phone.zh-hans.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.set_viewport_size({"width": 1280, "height": 720})
    page.locator("#billing > summary").click()
    page.locator("#quotation-form > summary").click()
    expect(page.get_by_test_id("quotation-form")).to_be_visible()
    page.mouse.wheel(0, 5000)
    page.wait_for_timeout(200)
    assert page.evaluate("window.scrollY") > 300
    head = page.get_by_test_id("case-head")
    assert in_viewport(page, head.get_by_test_id("status"))
    assert in_viewport(page, head.get_by_test_id("next-deadline"))
    assert in_viewport(page, head.locator("button[data-action=wait_customer]"))

    # The desk sees the same case without the engineer's work.
    as_user("desk", "en")
    page.goto(f"{live_server.url}/cases/{ticket.pk}/")
    expect(page.get_by_test_id("status")).to_have_text("in progress")
    assert page.get_by_test_id("charge-form").count() == 0
    assert page.get_by_test_id("resolve-form").count() == 0
    expect(page.locator("button[data-action=cancel]")).to_have_count(0)  # not from in progress
    expect(page.locator("button[data-action=wait_customer]")).to_be_visible()
    shoot(page, "case-warranty.en.png")


def test_warranty_labour_is_recorded_by_its_hours_free_and_printed(page, live_server, as_user):
    who = people()
    ticket = working_case(who)
    as_user("engineer")
    page.goto(f"{live_server.url}/cases/{ticket.pk}/")
    charge = page.get_by_test_id("charge-form")
    charge.locator("[name=kind]").select_option("labour")
    charge.locator("[name=description]").fill("检测电路")
    charge.locator("[name=quantity]").fill("1.5")
    charge.locator("button[type=submit]").click()
    expect(page.get_by_test_id("charges")).to_contain_text("1.50 小时")
    expect(page.get_by_test_id("charges")).to_contain_text("免费")
    line = ChargeLine.objects.get(ticket=ticket)
    assert (line.kind, line.quantity, line.amount, line.charged) == ("labour", Decimal("1.50"), Decimal("0.00"), False)

    resolved(Ticket.objects.get(pk=ticket.pk), who)
    page.goto(f"{live_server.url}/cases/{ticket.pk}/sign/")
    kiosk = page.get_by_test_id("kiosk")
    expect(kiosk.locator("nav")).to_have_count(0)
    expect(page.locator("form[action$='/logout/'], .logout, .messages, .language-switch")).to_have_count(0)
    expect(page.get_by_test_id("charges").locator("tr[data-kind=labour]")).to_contain_text("1.50 小时")
    expect(page.locator("#id_work_done")).to_have_value("紧固接线并检测")  # from the repair report
    expect(page.get_by_test_id("total")).to_have_text("¥0.00")
    expect(page.get_by_test_id("signature-pad")).to_be_visible()
    shoot(page, "sign.zh-hans.png")
    page.get_by_test_id("signature-pad").scroll_into_view_if_needed()
    pad = page.get_by_test_id("signature-pad").bounding_box()
    page.mouse.move(pad["x"] + 20, pad["y"] + 60)
    page.mouse.down()
    for step in range(1, 30):
        page.mouse.move(pad["x"] + 20 + step * 15, pad["y"] + 60 + (step % 5) * 12)
    page.mouse.up()
    page.get_by_test_id("sign-form").get_by_role("button", name="签名并确认").click()
    labour = page.locator("tr[data-kind=labour]")
    expect(labour).to_contain_text("检测电路")
    expect(labour).to_contain_text("1.50 小时")
    assert RepairOrder.objects.get(ticket=ticket).total_charged == 0


def test_signing_page_in_english_for_a_paid_repair(page, live_server, as_user):
    who = people()
    ticket = ticket_create(
        actor=who["desk"], channel="phone", reporter_name="Mr Zhou", description="No power", severity="minor"
    )
    ticket = ticket_transition(ticket=ticket, action="assign", actor=who["desk"], engineer=who["engineer"])
    ticket = ticket_transition(ticket=ticket, action="check_in", actor=who["engineer"])
    charge_line_add(
        ticket=ticket,
        actor=who["engineer"],
        kind="labour",
        description="Diagnosis",
        quantity=Decimal(2),
        unit_price=Decimal(80),
    )
    ticket_transition(ticket=Ticket.objects.get(pk=ticket.pk), action="resolve", actor=who["engineer"])
    as_user("engineer", "en")
    page.goto(f"{live_server.url}/cases/{ticket.pk}/sign/")
    expect(page.get_by_test_id("charges").locator("tr[data-kind=labour]")).to_contain_text("2.00 h")
    expect(page.get_by_test_id("total")).to_have_text("¥160.00")
    expect(page.locator("nav, .logout, .messages")).to_have_count(0)
    shoot(page, "sign.en.png")


def test_a_long_description_is_folded(page, live_server, as_user):
    who = people()
    ticket = working_case(who, description="发动机异响。" * 1667)  # 10,002 characters
    as_user("desk")
    page.goto(f"{live_server.url}/cases/{ticket.pk}/")
    description = page.get_by_test_id("description")
    assert description.bounding_box()["height"] < 300
    assert page.evaluate("document.documentElement.scrollHeight") < 3000
    description.locator("summary").click()
    expect(description.locator(".full")).to_be_visible()
    assert description.bounding_box()["height"] > 300


def test_a_refusal_the_page_cannot_show_in_place_is_said_in_the_header(page, live_server, as_user):
    who = people()
    ticket = working_case(who)
    as_user("engineer", "en")
    page.goto(f"{live_server.url}/cases/{ticket.pk}/")
    mark_page(page)
    # The case goes to another engineer meanwhile: this one may no longer add work to it (403).
    other = User.objects.create_user("engineer2", password="x")
    other.groups.add(*who["engineer"].groups.all())
    ticket_transition(ticket=Ticket.objects.get(pk=ticket.pk), action="assign", actor=who["desk"], engineer=other)
    charge = page.get_by_test_id("charge-form")
    charge.locator("[name=kind]").select_option("labour")
    charge.locator("[name=quantity]").fill("2")
    charge.locator("button[type=submit]").click()
    expect(page.get_by_test_id("request-failed")).to_have_text(
        "The server did not take this: reload the page and try again."
    )
    expect(page.locator("[data-testid=charge-form] [name=quantity]")).to_have_value("2")
    assert not_reloaded(page)
    assert not ChargeLine.objects.exists()
