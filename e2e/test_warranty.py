from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.demo import DEMO_USERS, seed_users
from aftersales.testing import CeleryWorker
from warranty.models import Unit
from warranty.tests.factories import PolicyFactory, ProductModelFactory, UnitFactory, version_from_preset

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def demo(username):
    return next(user for user in DEMO_USERS if user.username == username)


@pytest.fixture
def fresh_car():
    policy = PolicyFactory(regime="car_2021")
    version_from_preset(policy, "car_2021")
    bought = timezone.localdate() - timedelta(days=3)
    return UnitFactory(
        serial="LSVE2E0000000001",
        product_model=ProductModelFactory(policy=policy),
        invoice_date=bought,
        delivery_date=bought,
        usage_reading=120,
    )


def test_desk_finds_unit_and_reads_entitlement_while_on_the_phone(page, live_server, login, fresh_car):
    seed_users()
    login("desk", demo("desk").password)
    page.click("nav a[href='/units/']")
    page.fill("#q", "lsve2e")
    page.click("button[type=submit].primary")
    expect(page.get_by_test_id("covered")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("包修期")

    page.check("#id_needs_assembly_replacement")
    page.click("[data-testid=fault-form] button[type=submit]")
    results = page.get_by_test_id("entitlement-results")
    expect(results.locator("li").first).to_contain_text("CAR-22")
    expect(results.locator("li").first).to_contain_text("REFUND / EXCHANGE")


@pytest.mark.celery_worker
def test_import_progress_page_follows_the_job_to_the_end(page, live_server, login, settings, tmp_path):
    seed_users()
    model = ProductModelFactory(code="E2E-M")
    rows = "\n".join(f"IMP{index:05d},E2E-M,客户{index},,,,,,," for index in range(3000))
    upload = tmp_path / "units.csv"
    upload.write_text(
        "serial,model,customer,phone,address,city,dealer,invoice_date,price,usage\n" + rows + "\nBAD1,NOPE,,,,,,,,\n",
        encoding="utf-8",
    )
    worker = CeleryWorker(redis_url=settings.REDIS_URL, log_file=tmp_path / "worker.log").start()
    try:
        login("admin", demo("admin").password)
        page.goto(f"{live_server.url}/units/imports/")
        page.set_input_files("#id_file", str(upload))
        page.click("button[type=submit].primary")
        box = page.locator("#import-progress")
        expect(box).to_have_attribute("data-status", "done", timeout=60_000)
        expect(box.locator("[data-field=created_count]")).to_have_text("3000")
        expect(page.get_by_test_id("import-errors")).to_contain_text("NOPE")
    finally:
        worker.stop()
    assert Unit.objects.filter(product_model=model).count() == 3000
