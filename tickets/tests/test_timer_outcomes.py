"""How timers end is what dashboards count: met, late, not needed, owed and not given, cancelled — each with
when it stopped and the business minutes it used or was late by."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from aftersales.roles import Role
from tickets.models import BusinessCalendar, SLAPolicy, Timer
from tickets.services.tickets import ticket_transition
from tickets.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER)


def timers(ticket) -> dict[str, Timer]:
    return {t.metric.code: t for t in Timer.objects.filter(ticket=ticket).select_related("metric")}


def walk(ticket, actor, *steps):
    for action, at in steps:
        ticket = ticket_transition(ticket=ticket, action=action, actor=actor, engineer=actor, now=at)
    return ticket


def test_timers_case_solved_by_phone_visit_and_remote_not_needed(desk_user, engineer):
    ticket = CaseFactory(actor=desk_user, severity="critical", reported_at=T0)
    walk(
        ticket,
        engineer,
        ("assign", T0),
        ("contact", T0 + timedelta(minutes=5)),
        ("resolve", T0 + timedelta(hours=1)),
    )
    ended = timers(ticket)
    assert {code: t.state for code, t in ended.items()} == {
        "first_response": "met",
        "remote_response": "not_needed",
        "onsite_arrival": "not_needed",
        "resolution": "met",
        "loaner": "not_needed",
    }
    assert ended["first_response"].business_minutes == 5 and ended["first_response"].breach_minutes is None
    assert ended["onsite_arrival"].met_at is None
    assert ended["onsite_arrival"].stopped_at == T0 + timedelta(hours=1)
    assert ended["resolution"].business_minutes == 60


def test_timers_case_solved_remotely_onsite_not_needed(desk_user, engineer):
    ticket = CaseFactory(actor=desk_user, severity="critical", reported_at=T0)
    walk(
        ticket,
        engineer,
        ("assign", T0),
        ("start_remote", T0 + timedelta(hours=4)),
        ("resolve", T0 + timedelta(hours=5)),
    )
    ended = timers(ticket)
    # Critical remote response is 3 h: met 1 h late.
    assert (ended["remote_response"].state, ended["remote_response"].breach_minutes) == ("breached", 60)
    assert ended["remote_response"].met_at == T0 + timedelta(hours=4)
    assert ended["onsite_arrival"].state == "not_needed"


def test_timers_loaner_due_before_resolution_is_owed_and_late(desk_user, engineer):
    # Critical loaner after 48 h; resolved after 50 h without a substitute unit.
    ticket = CaseFactory(actor=desk_user, severity="critical", reported_at=T0)
    walk(
        ticket, engineer, ("assign", T0), ("contact", T0 + timedelta(minutes=5)), ("resolve", T0 + timedelta(hours=50))
    )
    loaner = timers(ticket)["loaner"]
    assert loaner.state == "breached" and loaner.met_at is None
    assert loaner.stopped_at == T0 + timedelta(hours=50)
    assert loaner.breached_at == T0 + timedelta(hours=48)
    assert loaner.breach_minutes == 120


def test_timers_cancelled_case_is_cancelled_not_not_needed(desk_user):
    ticket = CaseFactory(actor=desk_user, severity="major", reported_at=T0)
    ticket_transition(ticket=ticket, action="cancel", actor=desk_user, now=T0 + timedelta(minutes=10))
    ended = timers(ticket)
    assert {t.state for t in ended.values()} == {"cancelled"}
    assert {t.stopped_at for t in ended.values()} == {T0 + timedelta(minutes=10)}
    assert str(Timer.State.CANCELLED.label) != str(Timer.State.NOT_NEEDED.label)


def test_timers_late_by_business_minutes_on_the_working_day_calendar(desk_user, engineer):
    policy = SLAPolicy.objects.get(is_default=True)
    policy.calendar = BusinessCalendar.objects.get(statutory_holidays="CN")  # Mon–Fri 08:30–17:00
    policy.save()
    friday = datetime(2026, 3, 6, 16, 30, tzinfo=SHANGHAI)
    ticket = CaseFactory(actor=desk_user, severity="minor", reported_at=friday)
    # Minor first response 60 min: 30 min on Friday, 30 on Monday -> due Mon 09:00; contact Mon 10:00.
    walk(ticket, engineer, ("assign", friday), ("contact", datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)))
    first = timers(ticket)["first_response"]
    assert first.due_at == datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)
    assert (first.state, first.business_minutes, first.breach_minutes) == ("breached", 120, 60)


def test_timers_paused_time_is_not_used(desk_user, engineer):
    # Critical resolution 24 h; waiting for the customer 3 h; resolved after 30 h: 27 h used, 3 h late.
    ticket = CaseFactory(actor=desk_user, severity="critical", reported_at=T0)
    walk(
        ticket,
        engineer,
        ("assign", T0),
        ("contact", T0 + timedelta(minutes=5)),
        ("wait_customer", T0 + timedelta(hours=2)),
        ("resume", T0 + timedelta(hours=5)),
        ("resolve", T0 + timedelta(hours=30)),
    )
    resolution = timers(ticket)["resolution"]
    assert (resolution.business_minutes, resolution.breach_minutes) == (27 * 60, 3 * 60)
    assert resolution.due_at == T0 + timedelta(hours=27)


def test_timers_compliance_and_median_are_plain_sql_over_columns(desk_user, engineer):
    for minutes in (5, 8, 25):  # critical first response 10 min: two in time, one late
        ticket = CaseFactory(actor=desk_user, severity="critical", reported_at=T0)
        walk(ticket, engineer, ("assign", T0), ("contact", T0 + timedelta(minutes=minutes)))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE t.state = 'met')::float / count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY t.business_minutes)
            FROM tickets_timer t JOIN tickets_slametric m ON m.id = t.metric_id
            WHERE m.code = 'first_response' AND t.stopped_at IS NOT NULL AND t.state IN ('met', 'breached')
            """
        )
        compliance, median = cursor.fetchone()
    assert compliance == pytest.approx(2 / 3)
    assert median == 8
