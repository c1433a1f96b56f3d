"""The default SLA set-up of domain.md §3: metrics, a 7×24 and a working-day calendar, and the default policy."""

import datetime

from django.db import migrations
from django.utils import timezone

from tickets.calendar_check import calendar_problems

METRICS = [
    ("first_response", "电话响应 (phone response)"),
    ("remote_response", "远程响应 (remote response)"),
    ("onsite_arrival", "到场 (on-site arrival)"),
    ("resolution", "解决 (resolution)"),
    ("loaner", "备机 (loaner due)"),
]
SEVERITIES = [
    ("critical", "紧急故障 (critical)", 1, "系统瘫痪 / system down"),
    ("major", "严重故障 (major)", 2, "性能严重下降，重大业务影响 / performance badly degraded, major business impact"),
    ("minor", "一般故障 (minor)", 3, "运行但不稳定，无功能丧失 / runs but unstable; no function lost"),
]
# Minutes per severity: phone 10/30/60 min, remote 3/8/24 h, on-site 12/24/48 h (domain.md §3);
# resolution 24/48/72 h and a loaner due after 48 h are this product's defaults, to be tuned by admins.
TARGETS = {
    "critical": {
        "first_response": 10,
        "remote_response": 180,
        "onsite_arrival": 720,
        "resolution": 1440,
        "loaner": 2880,
    },
    "major": {"first_response": 30, "remote_response": 480, "onsite_arrival": 1440, "resolution": 2880, "loaner": 2880},
    "minor": {
        "first_response": 60,
        "remote_response": 1440,
        "onsite_arrival": 2880,
        "resolution": 4320,
        "loaner": 2880,
    },
}
DISTANCE_BANDS = [(300, 1440), (1000, 2880), (None, 4320)]
PAUSES = {
    "remote_response": ["waiting_customer"],
    "onsite_arrival": ["waiting_customer"],
    "resolution": ["waiting_customer", "waiting_parts"],
}


def install(apps, schema_editor):
    metric_model = apps.get_model("tickets", "SLAMetric")
    calendar_model = apps.get_model("tickets", "BusinessCalendar")
    window_model = apps.get_model("tickets", "CalendarWindow")
    policy_model = apps.get_model("tickets", "SLAPolicy")
    severity_model = apps.get_model("tickets", "Severity")
    target_model = apps.get_model("tickets", "SLATarget")
    band_model = apps.get_model("tickets", "DistanceBand")
    metrics = {code: metric_model.objects.create(code=code, name=name) for code, name in METRICS}
    always = calendar_model.objects.create(name="7×24", timezone="Asia/Shanghai", always_open=True)
    workdays = calendar_model.objects.create(
        name="工作日 08:30–17:00", timezone="Asia/Shanghai", statutory_holidays="CN"
    )
    windows = [(day, datetime.time(8, 30), datetime.time(17, 0)) for day in range(1, 6)]
    # The same check as the API and the admin: a calendar the arithmetic cannot use is never installed.
    problems = calendar_problems(timezone="Asia/Shanghai", always_open=False, windows=windows)
    if problems:
        raise ValueError("; ".join(problem.message for problem in problems))
    window_model.objects.bulk_create(
        window_model(calendar=workdays, weekday=day, start=start, end=end) for day, start, end in windows
    )
    policy = policy_model.objects.create(
        code="DEFAULT",
        version=1,
        name="默认服务级别 (default service level)",
        effective_from=datetime.date(2020, 1, 1),
        is_default=True,
        calendar=always,
        onsite_rule="later",
        pause_statuses=PAUSES,
        created_at=timezone.now(),
    )
    for code, name, rank, definition in SEVERITIES:
        severity = severity_model.objects.create(policy=policy, code=code, name=name, rank=rank, definition=definition)
        for metric, minutes in TARGETS[code].items():
            target_model.objects.create(policy=policy, severity=severity, metric=metrics[metric], minutes=minutes)
    for max_km, minutes in DISTANCE_BANDS:
        band_model.objects.create(policy=policy, max_km=max_km, minutes=minutes)


def remove(apps, schema_editor):
    apps.get_model("tickets", "SLAPolicy").objects.filter(code="DEFAULT", version=1).delete()
    apps.get_model("tickets", "BusinessCalendar").objects.filter(name__in=["7×24", "工作日 08:30–17:00"]).delete()
    apps.get_model("tickets", "SLAMetric").objects.filter(code__in=[code for code, _name in METRICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
