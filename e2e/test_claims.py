"""A 三包 claim end to end in headless Chromium: the dealer submits a claim with a photo, a reviewer partly
approves it with a reason code, the dealer appeals the rejected line, a second reviewer decides it, finance
settles, and the dealer confirms the statement and downloads it as XLSX."""

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from aftersales.demo import DEMO_USERS, seed_users
from aftersales.models import User
from aftersales.roles import Role
from claims import defaults
from claims.demo import demo_png
from claims.models import Claim, FlatRate, LabourOperation, SettlementStatement
from dealers.models import Dealer, DealerMember
from warranty.models import PartPrice
from warranty.tests.factories import PolicyFactory, ProductModelFactory, UnitFactory, version_from_preset

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SECOND_REVIEWER = ("reviewer2", "reviewer2-e2e-pass")


def password(username):
    return next(user.password for user in DEMO_USERS if user.username == username)


@pytest.fixture
def world():
    seed_users()
    defaults.install_now()
    dealer = Dealer.objects.create(code="D-E2E", name="北京顺达汽车销售服务有限公司", labour_rate=Decimal("80.00"))
    DealerMember.objects.create(user=User.objects.get(username="dealer"), dealer=dealer)
    second = User.objects.create_user(SECOND_REVIEWER[0], password=SECOND_REVIEWER[1], first_name="强", last_name="孙")
    second.groups.add(Group.objects.get(name=Role.CLAIMS_REVIEWER))
    policy = PolicyFactory(regime="car_2021")
    version_from_preset(policy, "car_2021")
    model = ProductModelFactory(policy=policy)
    bought = timezone.localdate() - timedelta(days=100)
    unit = UnitFactory(
        serial="LSVCLAIM00000001",
        product_model=model,
        selling_dealer=dealer,
        invoice_date=bought,
        delivery_date=bought,
        usage_reading=5000,
        registered_at=timezone.now() - timedelta(days=98),
    )
    operation = LabourOperation.objects.create(code="BRK-01", description="更换制动钳总成")
    FlatRate.objects.create(operation=operation, product_model=model, hours=Decimal("1.50"))
    PartPrice.objects.create(
        part_number="P-BRK-001", name="制动钳总成", price=Decimal("860.00"), valid_from=bought - timedelta(days=30)
    )
    return unit


@pytest.fixture
def session(browser, live_server):
    contexts = []

    def open_as(username: str, secret: str):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", secret)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_claim_from_submission_to_confirmed_statement(session, live_server, world, tmp_path):
    photo = tmp_path / "brake.png"
    photo.write_bytes(demo_png())
    repaired = timezone.localtime() - timedelta(days=2)

    # The dealer submits a claim with a photo, after looking up the unit's coverage and entitlement.
    dealer = session("dealer", password("dealer"))
    dealer.click("nav a[href='/claims/']")
    dealer.click("[data-testid=new-claim]")
    dealer.fill("#id_unit", "lsvclaim00000001")
    dealer.select_option("#id_claim_type", "repair")
    dealer.fill("#id_problem_code", "BRAKE-NOISE")
    dealer.fill("#id_fault_description", "制动异响，更换左前制动钳")
    dealer.fill("#id_fault_date", repaired.date().isoformat())
    dealer.fill("#id_repair_agreed_at", repaired.strftime("%Y-%m-%dT09:00"))
    dealer.fill("#id_repair_completed_at", repaired.strftime("%Y-%m-%dT15:00"))
    dealer.fill("#id_usage", "5200")
    dealer.click("[data-testid=lookup]")
    expect(dealer.get_by_test_id("unit-panel").get_by_test_id("covered")).to_be_visible()
    expect(dealer.get_by_test_id("entitlement").first).to_contain_text("CAR-19")
    dealer.select_option("#id_labour-0-operation", "BRK-01")
    dealer.fill("#id_labour-0-hours", "1.5")
    dealer.fill("#id_part-0-part_number", "P-BRK-001")
    dealer.fill("#id_part-0-quantity", "1")
    dealer.fill("#id_part-0-old_part_serial", "BRK-OLD-77")
    dealer.select_option("#id_other-0-cost_kind", "towing")
    dealer.fill("#id_other-0-amount", "200")
    dealer.fill("#id_other-0-description", "拖车 12 km")
    dealer.set_input_files("#id_photo", str(photo))
    dealer.click("[data-testid=submit-claim]")
    expect(dealer.get_by_test_id("status")).to_have_text("已提交")
    expect(dealer.get_by_test_id("claimed-total")).to_have_text("1180.00")
    expect(dealer.get_by_test_id("documents")).to_contain_text("brake.png")
    claim = Claim.objects.get()
    assert claim.attachments.get().kind == "photo"

    # A reviewer finds it in the queue and decides line by line: approve, reduce, reject with reason codes.
    reviewer = session("reviewer", password("reviewer"))
    reviewer.click("nav a[href='/claims/review/']")
    reviewer.click(f"text={claim.number}")
    expect(reviewer.get_by_test_id("line-1")).to_contain_text("1.50 h")
    reviewer.select_option("[data-testid=decision-1]", "approve")
    reviewer.select_option("[data-testid=decision-2]", "reduce")
    reviewer.fill("[data-testid=amount-2]", "800")
    reviewer.select_option("[data-testid=reason-2]", "price_over_list")
    reviewer.select_option("[data-testid=decision-3]", "reject")
    reviewer.select_option("[data-testid=reason-3]", "missing_documents")
    reviewer.click("[data-testid=decide]")
    expect(reviewer.get_by_test_id("status")).to_have_text("部分批准")
    expect(reviewer.get_by_test_id("approved-total")).to_have_text("920.00")

    # The dealer appeals the rejected towing line.
    dealer.reload()
    expect(dealer.get_by_test_id("status")).to_have_text("部分批准")
    towing = claim.lines.get(position=3)
    dealer.check(f"[data-testid=appeal-form] input[value='{towing.pk}']")
    dealer.fill("#id_reason", "拖车单据已补充")
    dealer.click("[data-testid=appeal-form] button[type=submit]")
    expect(dealer.get_by_test_id("status")).to_have_text("复议中")

    # The first reviewer may not decide the appeal; a second reviewer does.
    reviewer.reload()
    expect(reviewer.get_by_test_id("appeal-other")).to_be_visible()
    second = session(*SECOND_REVIEWER)
    second.goto(f"{live_server.url}/claims/{claim.pk}/")
    second.select_option("[data-testid=decision-3]", "approve")
    second.click("[data-testid=decide]")
    expect(second.get_by_test_id("status")).to_have_text("部分批准")
    expect(second.get_by_test_id("approved-total")).to_have_text("1120.00")

    # Finance issues the dealer's statement (the part waits for its old part, so labour and towing).
    finance = session("finance", password("finance"))
    finance.click("nav a[href='/claims/statements/']")
    finance.select_option("#id_dealer", "D-E2E")
    finance.click("[data-testid=issue-form] button[type=submit]")
    expect(finance.get_by_test_id("statement-total")).to_have_text("¥320.00")
    statement = SettlementStatement.objects.get()

    # The dealer confirms the statement in the portal and downloads it as XLSX.
    dealer.click("nav a[href='/claims/statements/']")
    dealer.click(f"text={statement.number}")
    dealer.click("[data-testid=confirm]")
    expect(dealer.get_by_test_id("statement-status")).to_contain_text("经销商已确认")
    expect(dealer.get_by_test_id("balance-after")).to_have_text("320.00")
    with dealer.expect_download() as download_info:
        dealer.click("[data-testid=xlsx]")
    download = download_info.value
    assert download.suggested_filename == f"{statement.number}.xlsx"
    rows = list(load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active.iter_rows(values_only=True))
    assert rows[0][1] == statement.number
    assert [row[6] for row in rows[6:]] == [Decimal("120.00"), Decimal("200.00")]
    claim.refresh_from_db()
    assert claim.appeal_reviewer.username == SECOND_REVIEWER[0] and claim.reviewer.username == "reviewer"
