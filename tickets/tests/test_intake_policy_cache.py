"""Case intake keeps an SLA policy's details per process under the configuration stamp: a second case on the
same policy reads none of them again, and any edit — through the admin, a service or a bulk update — gives
the next case the new targets, calendar and ladder, never the kept ones."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tickets.models import CalendarDate, CalendarWindow, EscalationStep, SLAMetric, SLAPolicy, SLATarget, Timer
from tickets.services import sla_config
from tickets.services.tickets import ticket_create
from tickets.tests.factories import CalendarFactory
from tickets.tests.test_admin_sla import page_data
from warranty.models import HolidaySchedule

pytestmark = pytest.mark.django_db
DETAIL_TABLES = (
    "tickets_severity",
    "tickets_slatarget",
    "tickets_distanceband",
    "tickets_regionzone",
    "tickets_escalationstep",
    "tickets_calendarwindow",
    "tickets_calendardate",
)


@pytest.fixture
def admin(client, make_user):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True, language="en"))
    return client


@pytest.fixture
def policy():
    calendar = CalendarFactory(always_open=False, statutory_holidays="")
    for weekday in range(1, 6):
        CalendarWindow.objects.create(calendar=calendar, weekday=weekday, start="09:00", end="17:00")
    policy = SLAPolicy.objects.create(
        code="CACHE", name="cache", effective_from="2020-01-01", calendar=calendar, created_at=timezone.now()
    )
    severity = policy.severities.create(code="major", name="major", rank=1)
    policy.targets.create(severity=severity, metric=SLAMetric.objects.get(code="resolution"), minutes=120)
    return policy


def reads_of(captured) -> set[str]:
    return {table for table in DETAIL_TABLES for q in captured.captured_queries if f'FROM "{table}"' in q["sql"]}


def open_case(desk_user, policy, *, at=None):
    at = at or timezone.now()
    ticket = ticket_create(
        actor=desk_user,
        channel="phone",
        reporter_name="x",
        description="y",
        severity="major",
        sla_policy=SLAPolicy.objects.select_related("calendar").get(pk=policy.pk),
        reported_at=at,
        now=at,
    )
    return {t.metric.code: t for t in Timer.objects.filter(ticket=ticket).select_related("metric")}


def test_intake_second_case_on_a_policy_reads_none_of_its_details(desk_user, policy):
    first = open_case(desk_user, policy)
    with CaptureQueriesContext(connection) as captured:
        second = open_case(desk_user, policy)
    assert reads_of(captured) == set()
    assert second["resolution"].target_minutes == first["resolution"].target_minutes == 120


def test_intake_after_an_admin_edit_of_a_target_uses_the_new_minutes(desk_user, policy, admin):
    start = timezone.localtime().replace(year=2026, month=3, day=9, hour=10, minute=0, second=0, microsecond=0)
    assert open_case(desk_user, policy, at=start)["resolution"].due_at == start + timedelta(hours=2)
    page = page_data(admin.get(f"/admin/tickets/slapolicy/{policy.pk}/change/"))
    target_field = next(name for name, value in page.items() if name.endswith("-minutes") and value == "120")
    response = admin.post(f"/admin/tickets/slapolicy/{policy.pk}/change/", page | {target_field: "180"})
    assert response.status_code == 302, response.content[:2000]
    assert SLATarget.objects.get(policy=policy).minutes == 180
    timers = open_case(desk_user, policy, at=start)
    assert timers["resolution"].target_minutes == 180
    assert timers["resolution"].due_at == start + timedelta(hours=3)


def test_intake_after_a_calendar_edit_uses_the_new_calendar(desk_user, policy):
    start = timezone.localtime().replace(year=2026, month=3, day=9, hour=16, minute=0, second=0, microsecond=0)
    # 16:00 Monday + 2 working hours: one today, one on Tuesday from 09:00.
    assert timezone.localtime(open_case(desk_user, policy, at=start)["resolution"].due_at).hour == 10
    CalendarDate.objects.create(calendar=policy.calendar, date=date(2026, 3, 10), kind=CalendarDate.Kind.HOLIDAY)
    due = timezone.localtime(open_case(desk_user, policy, at=start)["resolution"].due_at)
    assert (due.day, due.hour) == (11, 10)  # Tuesday off: Wednesday 10:00
    CalendarWindow.objects.filter(calendar=policy.calendar).update(end="18:00")  # a bulk update is seen too
    due = timezone.localtime(open_case(desk_user, policy, at=start)["resolution"].due_at)
    assert (due.day, due.hour) == (9, 18)  # the longer Monday holds both hours


def test_intake_after_a_ladder_edit_plans_the_new_first_step(desk_user, policy):
    start = timezone.localtime().replace(year=2026, month=3, day=9, hour=10, minute=0, second=0, microsecond=0)
    assert open_case(desk_user, policy, at=start)["resolution"].next_action_at is None
    EscalationStep.objects.create(policy=policy, order=1, share_percent=50, recipient="role", role="service_manager")
    timers = open_case(desk_user, policy, at=start)
    assert timers["resolution"].next_action_at == start + timedelta(hours=1)


def test_intake_with_no_stamp_keeps_nothing_and_reads_the_details(desk_user, policy):
    open_case(desk_user, policy)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tickets_slaconfigstamp")
    assert sla_config.current_stamp() is None
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            open_case(desk_user, policy)
        assert "tickets_slatarget" in reads_of(captured)


def test_intake_stamp_changes_with_every_kind_of_write():
    seen = {sla_config.current_stamp()}
    policy = SLAPolicy.objects.first()
    for write in (
        lambda: SLAPolicy.objects.filter(pk=policy.pk).update(name=policy.name),
        lambda: SLATarget.objects.filter(policy=policy).update(minutes=1000),
        lambda: CalendarDate.objects.create(calendar=policy.calendar, date=date(2031, 1, 2), kind="holiday"),
        lambda: CalendarDate.objects.filter(calendar=policy.calendar).delete(),
        lambda: EscalationStep.objects.filter(policy=policy, order=1).update(role="service_manager"),
        lambda: HolidaySchedule.objects.create(
            year=2040, days_off=[date(2040, 1, 1)], makeup_days=[], created_at=timezone.now(), updated_at=timezone.now()
        ),
    ):
        write()
        stamp = sla_config.current_stamp()
        assert stamp is not None and stamp not in seen
        seen.add(stamp)


def test_intake_severity_without_targets_opens_a_case_without_timers(desk_user, policy):
    policy.severities.create(code="minor", name="minor", rank=2)
    ticket = ticket_create(
        actor=desk_user,
        channel="phone",
        reporter_name="x",
        description="y",
        severity="minor",
        sla_policy=SLAPolicy.objects.get(pk=policy.pk),
    )
    ticket.refresh_from_db()
    assert ticket.created_timers == [] and not ticket.timers.exists() and ticket.next_due_at is None
    assert ticket.events.get().kind == "created"


def test_intake_number_keeps_every_digit_past_six(desk_user, policy):
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM tickets_ticket_number_seq")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT setval('tickets_ticket_number_seq', 1234567)")
    try:
        ticket = ticket_create(
            actor=desk_user,
            channel="phone",
            reporter_name="x",
            description="y",
            severity="major",
            sla_policy=SLAPolicy.objects.get(pk=policy.pk),
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval('tickets_ticket_number_seq', %s)", [max(before, 1)])
    assert ticket.number.endswith("-1234568") and ticket.number.startswith("SR")
    first = ticket_create(
        actor=desk_user,
        channel="phone",
        reporter_name="x",
        description="y",
        severity="major",
        sla_policy=SLAPolicy.objects.get(pk=policy.pk),
    )
    assert len(first.number.rsplit("-", 1)[1]) >= 6
