import pytest

from aftersales.roles import Role
from tickets.models import BusinessCalendar, SLAPolicy

pytestmark = pytest.mark.django_db
PREVIEW = "/api/v1/sla/preview/"


@pytest.fixture
def admin_api(api_client, make_user):
    api_client.force_authenticate(make_user(Role.ADMIN, language="en"))
    return api_client


def due(response, metric):
    return next(t for t in response.json()["targets"] if t["metric"] == metric)


def test_default_policy_is_installed_with_domain_numbers():
    policy = SLAPolicy.objects.get(is_default=True)
    targets = {(t.severity.code, t.metric.code): t.minutes for t in policy.targets.select_related("severity", "metric")}
    assert targets[("critical", "first_response")] == 10
    assert targets[("major", "remote_response")] == 8 * 60
    assert targets[("minor", "onsite_arrival")] == 48 * 60
    assert [(b.max_km, b.minutes) for b in policy.distance_bands.order_by("max_km")] == [
        (300, 1440),
        (1000, 2880),
        (None, 4320),
    ]
    assert policy.calendar.always_open


def test_preview_default_policy_critical_on_7x24(desk_api):
    response = desk_api.post(PREVIEW, {"severity": "critical", "start": "2026-10-01T09:00:00+08:00"}, format="json")
    assert response.status_code == 200
    assert due(response, "first_response") == {
        "metric": "first_response",
        "minutes": 10,
        "due_at": "2026-10-01T09:10:00+08:00",
    }
    assert due(response, "remote_response")["due_at"] == "2026-10-01T12:00:00+08:00"


@pytest.mark.parametrize(
    ("severity", "distance", "minutes"),
    [
        ("critical", 250, 1440),
        ("critical", 300, 1440),
        ("critical", 301, 2880),
        ("critical", 1001, 4320),
        ("minor", 250, 2880),
        ("critical", None, 720),
    ],
)
def test_preview_onsite_is_later_of_severity_and_distance(desk_api, severity, distance, minutes):
    body = {"severity": severity, "start": "2026-03-02T09:00:00+08:00"}
    if distance is not None:
        body["distance_km"] = distance
    assert due(desk_api.post(PREVIEW, body, format="json"), "onsite_arrival")["minutes"] == minutes


def test_preview_on_working_day_calendar_skips_national_day(desk_api):
    policy = SLAPolicy.objects.get(is_default=True)
    policy.calendar = BusinessCalendar.objects.get(statutory_holidays="CN")
    policy.save()
    # 30 Sep 2025 16:00, minor remote response 24 h of 08:30–17:00 days (8.5 h each): 1 h on 30 Sep, National
    # Day 1–8 Oct off, 9 and 10 Oct give 17 h (18 h in all), and the last 6 h fall on the make-up Saturday
    # 11 Oct: 08:30 + 6 h = 14:30.
    response = desk_api.post(PREVIEW, {"severity": "minor", "start": "2025-09-30T16:00:00+08:00"}, format="json")
    assert due(response, "remote_response")["due_at"] == "2025-10-11T14:30:00+08:00"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"severity": "cosmic", "start": "2026-10-01T09:00:00+08:00"}, "severity", "unknown_severity"),
        ({"severity": "critical", "start": "2026-10-01T09:00:00"}, "start", "invalid"),
        ({"severity": "critical", "start": "yesterday"}, "start", "invalid"),
        ({"severity": "critical", "start": "2026-10-01T09:00:00+08:00", "distance_km": -1}, "distance_km", "invalid"),
        ({"severity": "critical", "start": "2026-10-01T09:00:00+08:00", "speed": 1}, "speed", "invalid"),
    ],
)
def test_preview_bad_input_is_400(desk_api, body, field, code):
    response = desk_api.post(PREVIEW, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert field in response.json()["details"]


def test_calendar_create_with_lunch_break_and_dates(admin_api):
    body = {
        "name": "Beijing office",
        "timezone": "Asia/Shanghai",
        "always_open": False,
        "windows": [
            {"weekday": day, "start": start, "end": end}
            for day in range(1, 6)
            for start, end in (("08:30", "12:00"), ("13:30", "17:00"))
        ],
        "statutory_holidays": "CN",
        "holidays": ["2027-02-05"],
        "workdays": ["2027-02-13"],
    }
    response = admin_api.post("/api/v1/calendars/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert len(created["windows"]) == 10
    assert created["holidays"] == ["2027-02-05"] and created["workdays"] == ["2027-02-13"]
    assert created["statutory_holidays"] == "CN"


def test_calendar_with_overlapping_windows_is_400_and_not_saved(admin_api):
    body = {
        "name": "bad",
        "windows": [{"weekday": 1, "start": "08:00", "end": "12:00"}, {"weekday": 1, "start": "11:00", "end": "13:00"}],
    }
    response = admin_api.post("/api/v1/calendars/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "overlapping_windows"
    assert not BusinessCalendar.objects.filter(name="bad").exists()


def test_calendars_are_for_admins_only(desk_api):
    assert desk_api.get("/api/v1/calendars/").status_code == 403
    assert desk_api.get("/api/v1/sla-policies/").status_code == 403


def test_sla_policies_list_for_admin(admin_api):
    policies = admin_api.get("/api/v1/sla-policies/").json()["results"]
    assert policies[0]["code"] == "DEFAULT"
    assert {s["code"] for s in policies[0]["severities"]} == {"critical", "major", "minor"}


def test_four_level_severity_scheme_is_expressible(desk_api):
    from django.utils import timezone

    from tickets.models import Severity, SLAMetric, SLATarget

    calendar = BusinessCalendar.objects.get(always_open=True)
    policy = SLAPolicy.objects.create(
        code="FOUR", name="四级故障", effective_from="2020-01-01", calendar=calendar, created_at=timezone.now()
    )
    metric = SLAMetric.objects.get(code="first_response")
    for rank in range(1, 5):
        severity = Severity.objects.create(policy=policy, code=f"level{rank}", name=f"{rank}级故障", rank=rank)
        SLATarget.objects.create(policy=policy, severity=severity, metric=metric, minutes=15 * rank)
    response = desk_api.post(
        PREVIEW, {"policy": policy.pk, "severity": "level4", "start": "2026-01-01T23:00:00+08:00"}, format="json"
    )
    assert response.json()["targets"] == [
        {"metric": "first_response", "minutes": 60, "due_at": "2026-01-02T00:00:00+08:00"}
    ]


@pytest.mark.parametrize("end", ["00:00", "24:00"])
def test_calendar_night_shift_window_ending_at_midnight_is_saved(admin_api, end):
    body = {
        "name": "night shift",
        "windows": [{"weekday": 1, "start": "22:00", "end": end}, {"weekday": 2, "start": "00:00", "end": "06:00"}],
    }
    response = admin_api.post("/api/v1/calendars/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["windows"][0] == {"weekday": 1, "start": "22:00", "end": "00:00"}
    calendar = BusinessCalendar.objects.get(name="night shift")
    policy = SLAPolicy.objects.get(is_default=True)
    policy.calendar = calendar
    policy.save()
    # Monday 2026-03-02 23:00 + 3 business hours: 1 h to midnight, then 00:00–02:00 on Tuesday.
    preview = admin_api.post(PREVIEW, {"severity": "critical", "start": "2026-03-02T23:00:00+08:00"}, format="json")
    assert due(preview, "remote_response")["due_at"] == "2026-03-03T02:00:00+08:00"


def test_calendar_overlapping_windows_message_names_them_in_the_users_language(admin_api):
    body = {
        "name": "bad",
        "windows": [{"weekday": 1, "start": "08:00", "end": "12:00"}, {"weekday": 1, "start": "11:00", "end": "13:00"}],
    }
    english = admin_api.post("/api/v1/calendars/", body, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["details"]["calendar"] == ["The windows Monday 08:00–12:00 and Monday 11:00–13:00 overlap."]
    chinese = admin_api.post("/api/v1/calendars/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert chinese["details"]["calendar"] == ["工作时段 星期一 08:00–12:00 与 星期一 11:00–13:00 重叠。"]
