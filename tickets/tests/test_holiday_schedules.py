"""China's statutory holiday data never runs out silently: admins' schedules beside `chinesecalendar`, the
coverage check (banner, notification, case page), the one write path that moves running deadlines.

The 2027 dates below are a TEST SCHEDULE shaped like a Spring Festival (days off 2027-02-06..2027-02-13, a
make-up Saturday 2027-02-20), not a copy of the State Council's 2027 notice.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from aftersales.models import OutboxMessage
from aftersales.roles import Role
from tickets import business_time, sla
from tickets.models import BusinessCalendar, Notification, Ticket, Timer
from tickets.services.holidays import holiday_gaps, holiday_gaps_notify, holiday_schedule_save
from tickets.services.tickets import ticket_create
from tickets.tests.factories import policy_with_ladder
from warranty.calendar import is_working_day
from warranty.holidays import library_years, statutory_dates, uncovered_years
from warranty.models import HolidaySchedule

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 15, 10, 0, tzinfo=SHANGHAI)
SPRING_2027 = [date(2027, 2, 6) + timedelta(days=n) for n in range(8)]  # test schedule, see module docstring
MAKEUP_2027 = [date(2027, 2, 20)]
WORKDAYS = "工作日 08:30–17:00"  # the installed calendar that follows China's statutory days


@pytest.fixture(autouse=True)
def _workdays(workday_calendar):
    return workday_calendar


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return NOW


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMIN, is_staff=True, language="en")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def enter_2027(actor=None):
    return holiday_schedule_save(
        year=2027, days_off=SPRING_2027, makeup_days=MAKEUP_2027, source="test schedule", actor=actor, now=NOW
    )


def test_library_still_ends_in_2026_so_2027_is_the_gap():
    # The rest of this file assumes the installed chinesecalendar does not know 2027.
    assert 2026 in library_years() and 2027 not in library_years()


def test_statutory_dates_use_an_admins_schedule_for_a_year_the_library_lacks():
    assert statutory_dates(date(2027, 1, 1), date(2027, 12, 31)) == (frozenset(), frozenset())
    assert uncovered_years(date(2026, 12, 1), date(2027, 3, 1)) == (2027,)
    enter_2027()
    off, on = statutory_dates(date(2027, 2, 1), date(2027, 2, 28))
    assert off == frozenset(SPRING_2027) and on == frozenset(MAKEUP_2027)
    assert uncovered_years(date(2026, 12, 1), date(2027, 3, 1)) == ()
    # The library's years are untouched: Spring Festival 2026 (02-15 .. 02-23 off, make-up 02-14 and 02-28).
    off_2026, on_2026 = statutory_dates(date(2026, 2, 1), date(2026, 2, 28))
    assert date(2026, 2, 16) in off_2026 and date(2026, 2, 14) in on_2026


def test_a_newer_library_fills_a_year_but_never_doubles_an_admins_entry(monkeypatch):
    # A newer chinesecalendar release that knows 2027 (with other dates than the admin entered).
    newer_holidays = {**chinese_calendar.holidays, date(2027, 2, 5): "Spring Festival", date(2027, 10, 1): "National"}
    newer_workdays = {**chinese_calendar.workdays, date(2027, 2, 21): "Spring Festival"}
    monkeypatch.setattr(chinese_calendar, "holidays", newer_holidays)
    monkeypatch.setattr(chinese_calendar, "workdays", newer_workdays)
    assert 2027 in library_years()
    off, on = statutory_dates(date(2027, 1, 1), date(2027, 12, 31))
    assert off == {date(2027, 2, 5), date(2027, 10, 1)} and on == {date(2027, 2, 21)}  # the library fills 2027
    enter_2027()
    off, on = statutory_dates(date(2027, 1, 1), date(2027, 12, 31))
    assert off == frozenset(SPRING_2027) and on == frozenset(MAKEUP_2027)  # the admin's entry alone


def test_warranty_working_days_and_sla_calendars_read_the_same_schedule():
    workdays = BusinessCalendar.objects.get(name=WORKDAYS)
    assert is_working_day(date(2027, 2, 8)) is True  # a Monday nobody knows is off yet
    enter_2027()
    assert is_working_day(date(2027, 2, 8)) is False
    assert is_working_day(date(2027, 2, 20)) is True  # the make-up Saturday
    engine = sla.engine_calendar(workdays, around=date(2027, 2, 1))
    assert not business_time.is_working_day(engine, date(2027, 2, 8))
    assert business_time.is_working_day(engine, date(2027, 2, 20))


@pytest.mark.parametrize(
    ("days_off", "makeup_days", "field", "message"),
    [
        (SPRING_2027, [date(2027, 2, 15)], "makeup_days", "2027-02-15 is a Monday: a make-up working day must be a"),
        (SPRING_2027, [date(2027, 2, 7)], "makeup_days", "2027-02-07 is listed both as a day off and as a make-up"),
        ([date(2026, 11, 30)], [], "days_off", "2026-11-30 is not in 2027"),
        ([], MAKEUP_2027, "days_off", "List at least one day off."),
    ],
)
def test_schedule_refused_with_a_message_naming_the_date(days_off, makeup_days, field, message):
    from aftersales.errors import ApplicationError

    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        holiday_schedule_save(year=2027, days_off=days_off, makeup_days=makeup_days, now=NOW)
    assert refused.value.code == "holiday_schedule_invalid"
    assert any(text.startswith(message) for text in refused.value.details[field]), refused.value.details
    assert not HolidaySchedule.objects.exists()


def test_gaps_on_2026_12_15_name_2027_and_the_calendar_until_the_schedule_is_entered(frozen):
    gaps = holiday_gaps()
    assert gaps.years == (2027,) and gaps.window_years == (2027,)
    assert WORKDAYS in gaps.calendars
    assert gaps.first_day == date(2027, 1, 1)
    with translation.override("en"):
        assert gaps.message().startswith("China's statutory holidays for 2027 are not known: the calendars 工作日")
    enter_2027()
    assert not holiday_gaps()


def test_no_gap_when_the_next_90_days_are_known_or_no_calendar_follows_china():
    assert not holiday_gaps(today=date(2026, 9, 1))  # up to 2026-11-30
    assert holiday_gaps(today=date(2026, 10, 3)).years == (2027,)  # 90 days reach 2027-01-01
    BusinessCalendar.objects.filter(statutory_holidays="CN").update(statutory_holidays="")
    assert not holiday_gaps(today=date(2026, 12, 15))


def test_a_running_deadline_beyond_the_window_in_an_unknown_year_is_a_gap(desk_user):
    reported = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)
    calendar = BusinessCalendar.objects.get(name=WORKDAYS)
    policy = policy_with_ladder(code="LONG", calendar=calendar, minutes=160 * 510, now=reported)
    ticket = ticket_create(
        actor=desk_user, channel="phone", reporter_name="x", description="y", severity="major",
        reported_at=reported, sla_policy=policy, now=reported,
    )  # fmt: skip
    assert ticket.timers.get().due_at.year == 2027
    gaps = holiday_gaps(today=date(2026, 6, 1))
    assert gaps.window_years == () and gaps.deadline_years == (2027,)


def test_admins_are_notified_once_per_missing_year(frozen, admin_user, make_user, django_capture_on_commit_callbacks):
    superuser = make_user(None, is_staff=True, is_superuser=True, language="zh-hans")
    make_user(Role.SERVICE_DESK)
    assert holiday_gaps_notify(now=NOW) == 2
    told = Notification.objects.filter(kind="holiday_gap", object_id=2027)
    assert set(told.values_list("recipient_id", flat=True)) == {admin_user.pk, superuser.pk}
    assert told.get(recipient=admin_user).title == "Statutory holidays for 2027 are missing"
    assert "2027" in told.get(recipient=superuser).title and "法定" in told.get(recipient=superuser).title
    assert OutboxMessage.objects.filter(task="tickets.notification_digest").count() == 2
    assert holiday_gaps_notify(now=NOW + timedelta(hours=6)) == 0  # the beat job runs again: nobody twice
    assert told.count() == 2
    latecomer = make_user(Role.ADMIN, is_staff=True)
    assert holiday_gaps_notify(now=NOW + timedelta(hours=12)) == 1
    assert told.filter(recipient=latecomer).exists()


def test_beat_schedule_runs_the_holiday_check():
    from django.conf import settings

    from aftersales.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["holiday-gaps"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


def spring_case(desk_user, policy=None):
    """A case opened on 2026-12-15 whose deadline falls on 2027-02-09 17:00 while 2027 is unknown."""
    calendar = BusinessCalendar.objects.get(name=WORKDAYS)
    engine = sla.engine_calendar(calendar, around=NOW.date())
    minutes = business_time.elapsed_business_minutes(engine, NOW, datetime(2027, 2, 9, 17, 0, tzinfo=SHANGHAI), [])
    policy = policy or policy_with_ladder(code="SPRING", calendar=calendar, minutes=minutes, now=NOW)
    return ticket_create(
        actor=desk_user, channel="phone", reporter_name="x", description="y", severity="major",
        reported_at=NOW, sla_policy=policy, now=NOW,
    )  # fmt: skip


def test_entering_the_schedule_moves_a_deadline_across_the_spring_festival(frozen, desk_user, admin_user):
    ticket = spring_case(desk_user)
    timer = ticket.timers.get()
    assert timer.due_at == datetime(2027, 2, 9, 17, 0, tzinfo=SHANGHAI)
    schedule, recomputed = enter_2027(actor=admin_user)
    assert recomputed == 1
    timer.refresh_from_db()
    # 02-08 .. 02-12 are off, then the weekend: the two working days left are Monday 15 and Tuesday 16.
    assert timer.due_at == datetime(2027, 2, 16, 17, 0, tzinfo=SHANGHAI)
    recorded = ticket.events.get(kind="deadlines_recomputed")
    assert recorded.actor == admin_user and recorded.data["year"] == 2027
    assert recorded.data["moved"]["first_response"][1] == timer.due_at.isoformat()


def test_a_schedule_change_leaves_deadlines_before_the_changed_days_alone(frozen, desk_user):
    calendar = BusinessCalendar.objects.get(name=WORKDAYS)
    ticket = ticket_create(
        actor=desk_user, channel="phone", reporter_name="x", description="y", severity="major",
        reported_at=NOW, sla_policy=policy_with_ladder(code="SHORT", calendar=calendar, minutes=600, now=NOW), now=NOW,
    )  # fmt: skip
    due = ticket.timers.get().due_at
    assert enter_2027()[1] == 0
    assert ticket.timers.get().due_at == due
    assert not ticket.events.filter(kind="deadlines_recomputed").exists()


# -- pages ---------------------------------------------------------------------------------------------


def schedule_form(**values):
    data = {"year": "2027", "days_off": "2027-02-06..2027-02-13", "makeup_days": "2027-02-20", "source": "test"}
    data.update(values)
    return data


def test_admin_and_home_page_show_the_banner_until_the_schedule_is_entered(frozen, admin_client):
    for url in ("/admin/", "/"):
        page = admin_client.get(url).content.decode()
        assert 'data-testid="holiday-gap-banner"' in page, url
        assert "Statutory holidays missing for 2027" in page
    response = admin_client.post("/admin/warranty/holidayschedule/add/", schedule_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    schedule = HolidaySchedule.objects.get(year=2027)
    assert schedule.days_off == SPRING_2027 and schedule.makeup_days == MAKEUP_2027
    for url in ("/admin/", "/"):
        assert 'data-testid="holiday-gap-banner"' not in admin_client.get(url).content.decode(), url


def test_banner_is_for_admins_only(frozen, client, make_user):
    client.force_login(make_user(Role.SERVICE_DESK))
    assert 'data-testid="holiday-gap-banner"' not in client.get("/").content.decode()


def test_admin_form_refuses_a_weekday_makeup_day_with_a_translated_message(frozen, client, make_user):
    client.force_login(make_user(Role.ADMIN, is_staff=True, language="zh-hans"))
    response = client.post("/admin/warranty/holidayschedule/add/", schedule_form(makeup_days="2027-02-15"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "2027-02-15 是星期一：调休上班日必须是星期六或星期日。" in page
    assert not HolidaySchedule.objects.exists()


def test_admin_form_refuses_bad_dates_and_a_day_listed_twice(frozen, admin_client):
    response = admin_client.post(
        "/admin/warranty/holidayschedule/add/", schedule_form(days_off="2027-02-06..2027-02-13\n2027-02-30")
    )
    assert "“2027-02-30” is not a date" in response.content.decode()
    response = admin_client.post("/admin/warranty/holidayschedule/add/", schedule_form(makeup_days="2027-02-07"))
    assert "2027-02-07 is listed both as a day off and as a make-up working day." in response.content.decode()
    assert not HolidaySchedule.objects.exists()


def test_admin_change_form_shows_the_dates_as_ranges_and_saves_through_the_service(frozen, admin_client, desk_user):
    ticket = spring_case(desk_user)
    enter_2027()
    schedule = HolidaySchedule.objects.get()
    page = admin_client.get(f"/admin/warranty/holidayschedule/{schedule.pk}/change/").content.decode()
    assert "2027-02-06..2027-02-13" in page
    assert ticket.timers.get().due_at == datetime(2027, 2, 16, 17, 0, tzinfo=SHANGHAI)
    # Correcting the schedule (the festival ends a day earlier) moves the running deadline back by a day.
    response = admin_client.post(
        f"/admin/warranty/holidayschedule/{schedule.pk}/change/",
        {"days_off": "2027-02-06..2027-02-11", "makeup_days": "2027-02-20", "source": "corrected"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert ticket.timers.get().due_at == datetime(2027, 2, 15, 17, 0, tzinfo=SHANGHAI)


def test_csv_with_bad_rows_shows_every_problem_and_writes_nothing(frozen, admin_client):
    upload = SimpleUploadedFile(
        "2027.csv", b"date,kind\n2027-02-06,off\n2027-02-31,off\n2027-02-14,maybe\n2027-02-15,workday\n"
    )
    response = admin_client.post("/admin/warranty/holidayschedule/import/", {"year": "2027", "file": upload})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was written" in page
    assert "“2027-02-31” is not a date" in page and "“maybe” is not a kind" in page
    assert "2027-02-15 is a Monday" in page  # the rows read are checked by the form's rules as well
    assert not HolidaySchedule.objects.exists()
    # Every row readable, but a weekday as make-up day: refused by the same rules as the form.
    upload = SimpleUploadedFile("2027.csv", b"2027-02-06,off\n2027-02-15,workday\n")
    page = admin_client.post("/admin/warranty/holidayschedule/import/", {"year": "2027", "file": upload})
    assert "2027-02-15 is a Monday" in page.content.decode()
    assert not HolidaySchedule.objects.exists()


def test_csv_loads_a_year_in_one_step_and_moves_deadlines(frozen, admin_client, desk_user):
    ticket = spring_case(desk_user)
    rows = "\n".join([f"{day.isoformat()},休" for day in SPRING_2027] + ["2027-02-20,班"])
    upload = SimpleUploadedFile("2027.csv", rows.encode("gb18030"))
    response = admin_client.post(
        "/admin/warranty/holidayschedule/import/", {"year": "2027", "file": upload, "source": "csv"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    schedule = HolidaySchedule.objects.get(year=2027)
    assert schedule.days_off == SPRING_2027 and schedule.makeup_days == MAKEUP_2027 and schedule.source == "csv"
    assert Timer.objects.get(ticket=ticket).due_at == datetime(2027, 2, 16, 17, 0, tzinfo=SHANGHAI)


def test_case_page_says_its_deadline_crosses_an_unknown_year(frozen, admin_client, desk_user):
    ticket = spring_case(desk_user)
    page = admin_client.get(f"/cases/{ticket.pk}/").content.decode()
    assert 'data-testid="holiday-gap-case"' in page and "2027" in page
    enter_2027()
    assert 'data-testid="holiday-gap-case"' not in admin_client.get(f"/cases/{ticket.pk}/").content.decode()
    assert Ticket.objects.get(pk=ticket.pk).timers.get().due_at.day == 16


def test_csv_page_is_refused_to_staff_without_the_schedule_permissions(frozen, client, make_user):
    client.force_login(make_user(Role.SERVICE_DESK, is_staff=True))
    assert client.get("/admin/warranty/holidayschedule/import/").status_code == 403


def test_change_list_says_whether_the_library_knows_the_year(frozen, admin_client):
    holiday_schedule_save(
        year=2026, days_off=statutory_dates(date(2026, 1, 1), date(2026, 12, 31))[0], makeup_days=[], now=NOW
    )
    page = admin_client.get("/admin/warranty/holidayschedule/").content.decode()
    assert "knows this year with other dates (your entry is used)" in page  # the make-up days were left out
    enter_2027()
    assert "does not know this year" in admin_client.get("/admin/warranty/holidayschedule/").content.decode()
