from datetime import date, time

import pytest

from tickets import sla
from tickets.models import BusinessCalendar, CalendarDate, CalendarWindow, SLAPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    calendar = BusinessCalendar.objects.create(name="office", statutory_holidays="CN")
    for day in range(1, 6):
        CalendarWindow.objects.create(calendar=calendar, weekday=day, start=time(9), end=time(18))
    return calendar


def test_engine_calendar_merges_statutory_dates_and_admin_overrides(office):
    CalendarDate.objects.create(calendar=office, date=date(2025, 10, 3), kind=CalendarDate.Kind.WORKDAY)
    CalendarDate.objects.create(calendar=office, date=date(2025, 9, 29), kind=CalendarDate.Kind.HOLIDAY)
    calendar = sla.engine_calendar(office, around=date(2025, 9, 25))
    assert date(2025, 10, 1) in calendar.holidays  # National Day, from the library
    assert date(2025, 10, 3) not in calendar.holidays and date(2025, 10, 3) in calendar.workdays  # admin override
    assert date(2025, 9, 29) in calendar.holidays  # an admin's own day off
    assert date(2025, 9, 28) in calendar.workdays  # make-up Sunday, from the library


def test_engine_calendar_without_statutory_dates_has_only_admin_dates(office):
    office.statutory_holidays = ""
    office.save()
    calendar = sla.engine_calendar(office, around=date(2025, 9, 25))
    assert calendar.holidays == frozenset() and calendar.workdays == frozenset()


@pytest.mark.parametrize(
    ("rule", "severity_minutes", "distance", "expected"),
    [
        ("later", 720, 250, 1440),
        ("earlier", 720, 250, 720),
        ("severity", 720, 250, 720),
        ("distance", 720, 250, 1440),
        ("later", 720, None, 720),
    ],
)
def test_onsite_rule_combines_targets(rule, severity_minutes, distance, expected):
    policy = SLAPolicy.objects.get(is_default=True)
    policy.onsite_rule = rule
    assert sla.onsite_minutes(policy, severity_minutes, distance_km=distance) == expected


def test_region_zones_pick_named_province_then_the_rest():
    policy = SLAPolicy.objects.get(is_default=True)
    policy.distance_bands.all().delete()
    policy.zones.create(name="Beijing", provinces=["北京"], minutes=120)
    policy.zones.create(name="elsewhere", provinces=[], minutes=2880)
    assert sla.onsite_minutes(policy, 60, distance_km=None, province="北京") == 120
    assert sla.onsite_minutes(policy, 60, distance_km=None, province="广东") == 2880
