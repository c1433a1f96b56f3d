"""The admin stores only calendars the deadlines can be computed on (the check the API uses)."""

import pytest
from django.utils import translation

from tickets.calendar_check import calendar_problems
from tickets.models import BusinessCalendar

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, make_user):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True, language="en"))
    return client


def calendar_form(windows, dates=(), **fields):
    data = {
        "name": "night desk",
        "timezone": "Asia/Shanghai",
        "statutory_holidays": "",
        "makeup_weekday": "1",
        "windows-TOTAL_FORMS": str(len(windows)),
        "windows-INITIAL_FORMS": "0",
        "dates-TOTAL_FORMS": str(len(dates)),
        "dates-INITIAL_FORMS": "0",
    } | fields
    for index, (weekday, start, end) in enumerate(windows):
        data |= {f"windows-{index}-weekday": weekday, f"windows-{index}-start": start, f"windows-{index}-end": end}
    for index, (day, kind) in enumerate(dates):
        data |= {f"dates-{index}-date": day, f"dates-{index}-kind": kind}
    return data


def test_admin_calendar_window_ending_at_midnight_is_saved(admin):
    response = admin.post(
        "/admin/tickets/businesscalendar/add/", calendar_form([(1, "22:00", "00:00"), (2, "00:00", "06:00")])
    )
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="night desk")
    assert [(w.start.hour, w.end.hour) for w in calendar.windows.order_by("weekday")] == [(22, 0), (0, 6)]


def test_admin_calendar_overlapping_windows_refused_naming_them(admin):
    response = admin.post(
        "/admin/tickets/businesscalendar/add/", calendar_form([(1, "08:00", "12:00"), (1, "11:00", "13:00")])
    )
    assert response.status_code == 200
    assert "The windows Monday 08:00–12:00 and Monday 11:00–13:00 overlap." in response.content.decode()
    assert not BusinessCalendar.objects.filter(name="night desk").exists()


def test_admin_calendar_makeup_day_without_its_weekday_windows_refused(admin):
    response = admin.post(
        "/admin/tickets/businesscalendar/add/",
        calendar_form([(2, "08:00", "12:00")], dates=[("2027-02-13", "workday")]),
    )
    assert response.status_code == 200
    assert "Make-up working days work like weekday 1, which has no working window." in response.content.decode()
    assert not BusinessCalendar.objects.filter(name="night desk").exists()


def test_calendar_problems_plain_values_as_migrations_call_it():
    with translation.override("en"):
        problems = calendar_problems(timezone="Mars/Olympus", always_open=False, windows=[(1, "x", "y")])
    assert [problem.code for problem in problems] == ["unknown_timezone", "bad_window_time"]
    assert problems[0].message == "Unknown time zone Mars/Olympus."
    assert calendar_problems(timezone="Asia/Shanghai", always_open=True, windows=[]) == []
