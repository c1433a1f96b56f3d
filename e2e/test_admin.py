"""An admin configures warranty terms and an SLA policy in the Django admin without writing JSON, in headless
Chromium; the pages are kept as screenshots in both languages (``.data/screenshots/``) to be looked at."""

import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.demo import DEMO_USERS, seed_users
from aftersales.models import User
from aftersales.roles import Role
from aftersales.tests.factories import UserFactory
from tickets.models import SLAMetric, SLAPolicy
from tickets.services.tickets import ticket_transition
from tickets.tests.factories import CalendarFactory, CaseFactory
from warranty.models import WarrantyPolicy
from warranty.tests.factories import ProductModelFactory, UnitFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("AFTERSALES_DATA_DIR", settings.BASE_DIR / ".data")) / "screenshots"
ADMIN_PASSWORD = next(user.password for user in DEMO_USERS if user.username == "admin")


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    page.screenshot(path=str(path.with_suffix(".top.png")))
    assert path.stat().st_size > 10_000
    return path


def speak(language):
    User.objects.filter(username="admin").update(language=language)


def first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def test_admin_makes_a_goods_policy_from_a_preset_previews_and_versions_it(page, live_server, login):
    seed_users()
    today = timezone.localdate()
    model = ProductModelFactory(code="TV-55", name="55 寸彩电")
    unit = UnitFactory(serial="TVE2E0001", product_model=model, invoice_date=today - timedelta(days=240))
    speak("zh-hans")
    login("admin", ADMIN_PASSWORD)

    # A new policy starts from a preset: the policy, its first version and its component terms on one page.
    page.goto(f"{live_server.url}/admin/warranty/warrantypolicy/add/")
    page.click("#presets a[href$='?preset=catalogue_goods']")
    expect(page.locator("#id_whole_unit_months")).to_have_value("12")
    expect(page.locator("#id_param_refund_days")).to_have_value("7")
    expect(page.locator("#id_component_terms-0-code")).to_have_value("picture_tube")
    expect(page.locator("textarea[name=params], textarea[name=options]")).to_have_count(0)  # no JSON anywhere
    page.fill("#id_policy_code", "TV-2025")
    page.fill("#id_policy_name", "彩电三包")
    page.fill("#id_effective_from", "2025-01-01")
    page.fill("#id_whole_unit_months", "6")
    page.click("input[name=_save]")
    error = page.locator(".field-whole_unit_months .errorlist")
    expect(error).to_contain_text("12")
    expect(error).to_contain_text("法定下限")
    shoot(page, "admin-policy-minimum-zh.png")
    page.fill("#id_whole_unit_months", "12")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    policy = WarrantyPolicy.objects.get(code="TV-2025")
    first = policy.versions.get()
    assert (first.version, first.effective_from, first.whole_unit_months) == (1, date(2025, 1, 1), 12)

    # The catalogue links the model to the policy (its units follow it).
    page.goto(f"{live_server.url}/admin/warranty/productmodel/{model.pk}/change/")
    page.select_option("#id_policy", str(policy.pk))
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()

    # A new version from the current one, with a 6-month wear part, previewed on the registered unit.
    page.goto(f"{live_server.url}/admin/warranty/policyversion/{first.pk}/change/")
    page.click(f"a[href$='?from={first.pk}']")
    next_month = first_of_next_month(today)
    expect(page.locator("#id_effective_from")).to_have_value(next_month.strftime("%Y/%m/%d"))  # zh-hans format
    page.click("#component_terms-group .add-row a")
    page.fill("#id_component_terms-1-code", "filter")
    page.select_option("#id_component_terms-1-kind", "wear_part")
    page.fill("#id_component_terms-1-months", "6")
    page.fill("#id_preview_serial", "tve2e0001")
    page.fill("#id_preview_component", "filter")
    page.click("#preview-button")
    table = page.locator("#preview-table")
    expect(table).to_contain_text("TVE2E0001")
    expect(table.locator(".preview-1 .preview-covered").first).to_have_text("在保")
    expect(table.locator(".preview-2 .preview-covered").first).to_have_text("不在保")
    page.locator("#policy-preview").scroll_into_view_if_needed()
    shoot(page, "admin-policy-preview-zh.png")
    assert policy.versions.count() == 1  # the preview saved nothing
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    first.refresh_from_db()
    second = policy.versions.get(version=2)
    assert first.effective_to == next_month == second.effective_from  # the old one ends the day before
    assert list(second.component_terms.order_by("code").values_list("code", "kind", "months")) == [
        ("filter", "wear_part", 6),
        ("picture_tube", "main_part", 36),
    ]

    # A case opened today is judged by the version in force at the unit's start: the old one.
    unit.refresh_from_db()
    unit.product_model.refresh_from_db()  # linked to the policy in the admin above
    ticket = CaseFactory(unit=unit)
    assert ticket.coverage_policy_version == first
    page.goto(f"{live_server.url}/admin/warranty/policyversion/{first.pk}/change/")
    expect(page.locator(".errornote")).to_be_visible()  # used by a case: read-only now
    expect(page.locator("input[name=_save]")).to_have_count(0)

    # The same pages in English.
    speak("en")
    page.goto(f"{live_server.url}/admin/warranty/policyversion/add/?preset=catalogue_goods")
    page.fill("#id_policy_code", "TV-EN")
    page.fill("#id_policy_name", "TV")
    page.fill("#id_whole_unit_months", "6")
    page.click("input[name=_save]")
    expect(page.locator(".field-whole_unit_months .errorlist")).to_contain_text(
        "the statutory minimum is 12 months (goods 三包 rules 1995). Allowed: 12 or more months."
    )
    shoot(page, "admin-policy-minimum-en.png")
    page.goto(f"{live_server.url}/admin/warranty/policyversion/{second.pk}/change/")
    page.fill("#id_preview_serial", "TVE2E0001")
    page.fill("#id_preview_component", "filter")
    page.click("#preview-button")
    expect(page.locator("#preview-table")).to_contain_text("the draft does not apply")
    page.locator("#policy-preview").scroll_into_view_if_needed()
    shoot(page, "admin-policy-preview-en.png")


def test_admin_sets_pause_statuses_in_the_grid_and_a_paused_case_moves(page, live_server, login):
    seed_users()
    policy = SLAPolicy.objects.create(
        code="GRID",
        name="网格",
        effective_from="2020-01-01",
        calendar=CalendarFactory(always_open=True),
        created_at=timezone.now(),
    )
    severity = policy.severities.create(code="major", name="major", rank=1)
    policy.targets.create(severity=severity, metric=SLAMetric.objects.get(code="resolution"), minutes=600)
    start = timezone.now() - timedelta(hours=5)
    desk = UserFactory(role=Role.SERVICE_DESK)
    ticket = CaseFactory(sla_policy=policy, reported_at=start, now=start)
    ticket = ticket_transition(
        ticket=ticket, action="assign", actor=desk, engineer=UserFactory(role=Role.ENGINEER), now=start
    )
    ticket = ticket_transition(ticket=ticket, action="wait_customer", actor=desk, now=start + timedelta(hours=1))
    ticket = ticket_transition(ticket=ticket, action="resume", actor=desk, now=start + timedelta(hours=3))
    speak("zh-hans")
    login("admin", ADMIN_PASSWORD)

    def due():
        page.goto(f"{live_server.url}/cases/{ticket.pk}/")
        return datetime.fromisoformat(
            page.locator("[data-testid=timer-resolution] .countdown").get_attribute("data-due")
        )

    before = due()
    page.goto(f"{live_server.url}/admin/tickets/slapolicy/{policy.pk}/change/")
    expect(page.locator("#sla-deadline-preview")).to_contain_text("major")
    expect(page.locator("#id_customers_add_all")).to_contain_text("选择全部")  # the JS catalogue in Chinese
    expect(page.locator("body")).not_to_contain_text("by selecting them")
    page.check("#id_pause_grid_resolution_waiting_customer")
    page.locator("#id_pause_grid").scroll_into_view_if_needed()
    shoot(page, "admin-sla-grid-zh.png")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    policy.refresh_from_db()
    assert policy.pause_statuses == {"resolution": ["waiting_customer"]}
    assert due() - before == timedelta(hours=2)  # the two hours waiting for the customer no longer count

    speak("en")
    page.goto(f"{live_server.url}/admin/tickets/slapolicy/{policy.pk}/change/")
    expect(page.locator("#id_customers_add_all")).to_contain_text("Choose all")
    expect(page.locator("#id_pause_grid_resolution_waiting_customer")).to_be_checked()
    page.locator("#id_pause_grid").scroll_into_view_if_needed()
    shoot(page, "admin-sla-grid-en.png")


def test_admin_edits_a_policy_its_draft_version_and_component_terms_on_one_page(page, live_server, login):
    from warranty.tests.factories import PolicyFactory, version_from_preset

    seed_users()
    policy = PolicyFactory(code="TV-ONE", name="彩电", regime=WarrantyPolicy.Regime.CONSUMER_GOODS)
    used = version_from_preset(
        policy, "catalogue_goods", effective_from=date(2020, 1, 1), effective_to=date(2026, 1, 1)
    )
    unit = UnitFactory(product_model=ProductModelFactory(policy=policy), invoice_date=date(2021, 5, 1))
    CaseFactory(unit=unit)
    draft = version_from_preset(policy, "catalogue_goods", version=2, effective_from=date(2026, 1, 1))
    rows = draft.component_terms.count()
    speak("zh-hans")
    login("admin", ADMIN_PASSWORD)

    url = f"{live_server.url}/admin/warranty/warrantypolicy/{policy.pk}/change/"
    page.goto(url)
    editor = page.locator("#version-editor")
    expect(editor.locator("h2").first).to_contain_text("版本 2")  # the draft no case used, editable here
    expect(page.locator("#versions-group")).to_contain_text("picture_tube (36)")  # every version, its terms
    page.fill("#id_name", "彩电三包")
    page.fill("#id_whole_unit_months", "6")
    page.click("#component_terms-group .add-row a")
    page.fill(f"#id_component_terms-{rows}-code", "filter")
    page.select_option(f"#id_component_terms-{rows}-kind", "wear_part")
    page.fill(f"#id_component_terms-{rows}-months", "6")
    page.click("input[name=_continue]")
    expect(page.locator(".field-whole_unit_months .errorlist")).to_contain_text("法定下限")
    expect(page.locator(".errornote").first).to_be_visible()
    policy.refresh_from_db()
    assert policy.name == "彩电"  # nothing saved while the version is wrong
    page.fill("#id_whole_unit_months", "18")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    shoot(page, "admin-policy-one-place-zh.png")
    policy.refresh_from_db()
    draft.refresh_from_db()
    assert (policy.name, draft.whole_unit_months) == ("彩电三包", 18)
    assert draft.component_terms.filter(code="filter", kind="wear_part", months=6).exists()

    # The preview is reachable from the same page (it shows the version's page with the draft's effect).
    page.click("#preview-button")
    expect(page.locator("#policy-preview")).to_be_visible()
    assert policy.versions.get(version=2).whole_unit_months == 18

    # The version cases used is shown read-only on the same page.
    page.goto(url)
    page.click(f"a.version-switch[href='?version={used.pk}']")
    expect(page.locator("#version-editor .errornote")).to_be_visible()
    expect(page.locator("#version-editor input[name=whole_unit_months]")).to_have_count(0)

    speak("en")
    page.goto(url)
    expect(page.locator("#version-editor h2").first).to_contain_text("Version 2, from 2026-01-01")
    page.fill("#id_whole_unit_months", "6")
    page.click("input[name=_continue]")
    expect(page.locator(".field-whole_unit_months .errorlist")).to_contain_text("statutory minimum is 12 months")
    expect(page.locator("body")).to_contain_text("Version 2 was not saved")
    shoot(page, "admin-policy-one-place-en.png")
