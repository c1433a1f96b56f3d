"""On a frozen 2026-12-15 an admin sees that China's 2027 holidays are missing (admin, home and case page),
enters the 2027 schedule on the admin form — a weekday make-up day refused first — and a running deadline that
crosses the Spring Festival moves. Pages in both languages are kept as screenshots (``.data/screenshots/``).

The 2027 dates are a TEST SCHEDULE shaped like a Spring Festival (days off 2027-02-06..2027-02-13, make-up
Saturday 2027-02-20), not a copy of the State Council's 2027 notice.
"""

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from playwright.sync_api import expect

from aftersales.demo import DEMO_USERS, seed_users
from aftersales.models import User
from tickets import business_time, sla
from tickets.models import BusinessCalendar, Timer
from tickets.services.tickets import ticket_create
from tickets.tests.factories import policy_with_ladder
from warranty.models import HolidaySchedule

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("AFTERSALES_DATA_DIR", settings.BASE_DIR / ".data")) / "screenshots"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 15, 10, 0, tzinfo=SHANGHAI)


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a real picture, not an empty page
    return path


def speak(language):
    User.objects.filter(username="admin").update(language=language)


@pytest.fixture
def spring_case():
    """A case opened on 2026-12-15 whose deadline is 2027-02-09 17:00 while 2027 is unknown."""
    seed_users()
    calendar = BusinessCalendar.objects.get(statutory_holidays="CN")
    engine = sla.engine_calendar(calendar, around=NOW.date())
    minutes = business_time.elapsed_business_minutes(engine, NOW, datetime(2027, 2, 9, 17, 0, tzinfo=SHANGHAI), [])
    policy = policy_with_ladder(code="SPRING", calendar=calendar, minutes=minutes, now=NOW)
    desk = User.objects.get(username="desk")
    return ticket_create(
        actor=desk, channel="phone", reporter_name="王女士", description="空调不制冷", severity="major",
        reported_at=NOW, sla_policy=policy, now=NOW,
    )  # fmt: skip


def test_admin_enters_the_missing_2027_schedule_and_a_deadline_moves(page, live_server, login, monkeypatch, tmp_path):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    seed_users()
    admin_password = next(user.password for user in DEMO_USERS if user.username == "admin")

    speak("en")
    login("admin", admin_password)
    banner = page.get_by_test_id("holiday-gap-banner")
    expect(banner).to_contain_text("Statutory holidays missing for 2027")
    shoot(page, "holidays-home-en.png")
    page.goto(f"{live_server.url}/admin/")
    expect(banner).to_contain_text("Enter the 2027 schedule")
    shoot(page, "holidays-admin-banner-en.png")

    speak("zh-hans")
    page.goto(f"{live_server.url}/admin/")
    expect(banner).to_contain_text("缺少 2027 年的法定节假日")
    shoot(page, "holidays-admin-banner-zh.png")
    page.get_by_test_id("holiday-gap-enter-2027").click()
    expect(page.locator("#id_year")).to_have_value("2027")
    page.fill("#id_days_off", "2027-02-06..2027-02-13")
    page.fill("#id_makeup_days", "2027-02-15")  # a Monday
    page.fill("#id_source", "测试用安排（非国务院通知原文）")
    page.click("input[name=_save]")
    expect(page.locator(".errorlist")).to_contain_text("2027-02-15 是星期一：调休上班日必须是星期六或星期日。")
    shoot(page, "holidays-form-error-zh.png")
    assert not HolidaySchedule.objects.exists()

    page.fill("#id_makeup_days", "2027-02-20")
    page.click("input[name=_save]")
    expect(page.locator("ul.messagelist")).to_contain_text("2027")
    expect(page.get_by_test_id("holiday-gap-banner")).to_have_count(0)
    shoot(page, "holidays-saved-zh.png")

    speak("en")
    schedule = HolidaySchedule.objects.get(year=2027)
    page.goto(f"{live_server.url}/admin/warranty/holidayschedule/{schedule.pk}/change/")
    expect(page.locator("#id_days_off")).to_have_value("2027-02-06..2027-02-13")
    page.fill("#id_makeup_days", "2027-02-20\n2027-02-07")
    page.click("input[name=_save]")
    expect(page.locator(".errorlist")).to_contain_text("2027-02-07 is listed both as a day off and as a make-up")
    shoot(page, "holidays-form-error-en.png")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("holiday-gap-banner")).to_have_count(0)

    # A CSV with bad rows: every problem listed, nothing written.
    speak("zh-hans")
    upload = tmp_path / "2028.csv"
    upload.write_text("date,kind\n2028-01-01,off\n2028-02-30,off\n2028-01-03,workday\n", encoding="utf-8")
    page.goto(f"{live_server.url}/admin/warranty/holidayschedule/")
    page.get_by_test_id("holiday-import").click()
    page.fill("#id_year", "2028")
    page.set_input_files("#id_file", str(upload))
    page.click("input[type=submit]")
    problems = page.get_by_test_id("holiday-import-problems")
    expect(problems).to_contain_text("“2028-02-30”不是日期")
    expect(problems).to_contain_text("2028-01-03 是星期一：调休上班日必须是星期六或星期日。")
    shoot(page, "holidays-csv-errors-zh.png")
    assert not HolidaySchedule.objects.filter(year=2028).exists()


def test_a_case_across_the_spring_festival_moves_when_the_admin_saves_the_form(
    page, live_server, login, monkeypatch, spring_case
):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    seed_users()
    admin_password = next(user.password for user in DEMO_USERS if user.username == "admin")
    timer = Timer.objects.get(ticket=spring_case)
    assert timer.due_at == datetime(2027, 2, 9, 17, 0, tzinfo=SHANGHAI)

    speak("en")
    login("admin", admin_password)
    page.goto(f"{live_server.url}/cases/{spring_case.pk}/")
    expect(page.get_by_test_id("holiday-gap-case")).to_contain_text("2027")
    shoot(page, "holidays-case-en.png")

    page.goto(f"{live_server.url}/admin/warranty/holidayschedule/add/?year=2027")
    page.fill("#id_days_off", "2027-02-06..2027-02-13")
    page.fill("#id_makeup_days", "2027-02-20")
    page.fill("#id_source", "test schedule (not the State Council notice)")
    page.click("input[name=_save]")
    expect(page.locator("ul.messagelist")).to_contain_text("The deadlines of 1 running case were recomputed.")
    shoot(page, "holidays-saved-en.png")
    timer.refresh_from_db()
    assert timer.due_at == datetime(2027, 2, 16, 17, 0, tzinfo=SHANGHAI)

    speak("zh-hans")
    page.goto(f"{live_server.url}/cases/{spring_case.pk}/")
    expect(page.get_by_test_id("holiday-gap-case")).to_have_count(0)
    expect(page.get_by_test_id("timers")).to_contain_text("02-16 17:00")
    shoot(page, "holidays-case-zh.png")
