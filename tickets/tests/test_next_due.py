"""The case's stored next deadline (``Ticket.next_due_at``) follows every change of its timers: intake, work
that meets a metric, pauses and resumes, a new severity or policy, the end of the case, a broken calendar,
the sweep, and the data migration that fills it for cases opened before it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from aftersales.roles import Role
from tickets.models import BusinessCalendar, SLAPolicy, Ticket, Timer
from tickets.services.escalation import sla_sweep
from tickets.services.tickets import ticket_change_policy, ticket_change_severity, ticket_transition
from tickets.services.timers import refresh_next_due_at
from tickets.tests.factories import CalendarFactory, CaseFactory, policy_with_ladder

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday, 7×24 default calendar or not


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER)


def stored(ticket) -> datetime | None:
    return Ticket.objects.values_list("next_due_at", flat=True).get(pk=ticket.pk)


def expected(ticket) -> datetime | None:
    """The earliest deadline of the open running or breached timers, read from the timers themselves."""
    dues = [
        t.due_at
        for t in Timer.objects.filter(ticket=ticket, stopped_at__isnull=True, state__in=["running", "breached"])
        if t.due_at is not None
    ]
    return min(dues, default=None)


def due(ticket, metric: str) -> datetime | None:
    return Timer.objects.get(ticket=ticket, metric__code=metric).due_at


def step(ticket, action, actor, at, **extra):
    ticket = ticket_transition(ticket=ticket, action=action, actor=actor, now=at, **extra)
    assert stored(ticket) == expected(ticket), action
    assert ticket.next_due_at == stored(ticket), "the case in hand carries the stored value too"
    return ticket


def test_next_due_follows_every_transition(desk_user, engineer):
    ticket = CaseFactory(actor=desk_user, severity="major", reported_at=T0)
    assert stored(ticket) == due(ticket, "first_response") == expected(ticket)
    ticket = step(ticket, "assign", desk_user, T0 + timedelta(minutes=1), engineer=engineer)
    assert stored(ticket) == due(ticket, "first_response")
    # Contact meets the first response: the next deadline is the next metric's.
    ticket = step(ticket, "contact", engineer, T0 + timedelta(minutes=5))
    assert stored(ticket) == due(ticket, "remote_response") > T0 + timedelta(minutes=30)
    before_pause = stored(ticket)
    # Waiting for the customer pauses remote, on-site and resolution; the loaner timer still runs.
    ticket = step(ticket, "wait_customer", engineer, T0 + timedelta(minutes=10))
    assert due(ticket, "remote_response") is None
    assert stored(ticket) == due(ticket, "loaner")
    ticket = step(ticket, "resume", engineer, T0 + timedelta(hours=2))
    assert stored(ticket) == due(ticket, "remote_response") > before_pause  # the pause moved the deadline
    ticket = step(ticket, "check_in", engineer, T0 + timedelta(hours=3))
    ticket = step(ticket, "resolve", engineer, T0 + timedelta(hours=4), repair=None)
    assert stored(ticket) is None  # nothing runs on a resolved case
    ticket = step(ticket, "reopen", desk_user, T0 + timedelta(hours=5))
    assert stored(ticket) == expected(ticket)


def test_next_due_follows_cancel_severity_and_policy(desk_user):
    ticket = CaseFactory(actor=desk_user, severity="minor", reported_at=T0)
    minor = stored(ticket)
    ticket = ticket_change_severity(ticket=ticket, severity="critical", actor=desk_user, now=T0)
    assert stored(ticket) == expected(ticket) < minor
    other = policy_with_ladder(code="OTHER", calendar=CalendarFactory(), minutes=7, now=T0)
    other.severities.filter(code="major").update(code="critical")
    ticket = ticket_change_policy(ticket=ticket, policy=other, actor=desk_user, now=T0)
    # Only the other policy's first response (7 minutes) still runs; the dropped metrics were cancelled.
    assert stored(ticket) == T0 + timedelta(minutes=7) == expected(ticket)
    ticket = ticket_transition(ticket=ticket, action="cancel", actor=desk_user, now=T0 + timedelta(minutes=1))
    assert stored(ticket) is None


def test_next_due_stays_with_a_breached_timer_and_the_sweep(desk_user, engineer):
    ticket = CaseFactory(actor=desk_user, severity="critical", reported_at=T0)
    ticket = ticket_transition(ticket=ticket, action="assign", actor=desk_user, engineer=engineer, now=T0)
    first = due(ticket, "first_response")
    sla_sweep(now=T0 + timedelta(hours=1))
    assert Timer.objects.get(ticket=ticket, metric__code="first_response").state == "breached"
    assert stored(ticket) == first == expected(ticket)  # past due is still the most urgent deadline


def test_next_due_is_empty_while_the_calendar_is_broken_and_back_when_fixed(desk_user):
    calendar = CalendarFactory()
    policy = policy_with_ladder(code="FRAGILE", calendar=calendar, now=T0)
    ticket = CaseFactory(actor=desk_user, sla_policy=policy, severity="major", reported_at=T0)
    assert stored(ticket) == T0 + timedelta(minutes=60)
    BusinessCalendar.objects.filter(pk=calendar.pk).update(always_open=False)
    ticket = ticket_change_severity(ticket=ticket, severity="major", actor=desk_user, now=T0)
    assert stored(ticket) is None  # no deadline could be worked out
    BusinessCalendar.objects.filter(pk=calendar.pk).update(always_open=True)
    sla_sweep(now=T0 + timedelta(minutes=31))  # the sweep retries the deadline of a marked case
    assert stored(ticket) == T0 + timedelta(minutes=60)


def test_refresh_takes_many_cases_in_one_statement_and_writes_only_changes(desk_user, django_assert_num_queries):
    cases = [CaseFactory(actor=desk_user, severity="major", reported_at=T0) for _ in range(5)]
    Ticket.objects.filter(pk__in=[c.pk for c in cases[:2]]).update(next_due_at=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM tickets_ticket WHERE id = %s", [cases[4].pk])
        untouched = cursor.fetchone()[0]
    with django_assert_num_queries(1):
        values = refresh_next_due_at([c.pk for c in cases] + [cases[0].pk])
    assert values == {c.pk: expected(c) for c in cases}
    assert [stored(c) for c in cases] == [expected(c) for c in cases]
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM tickets_ticket WHERE id = %s", [cases[4].pk])
        assert cursor.fetchone()[0] == untouched  # unchanged rows are not rewritten
    assert refresh_next_due_at([]) == {}


def test_a_full_save_of_a_stale_copy_keeps_the_stored_next_due(desk_user, engineer):
    ticket = CaseFactory(actor=desk_user, severity="major", reported_at=T0)
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket_transition(ticket=ticket, action="assign", actor=desk_user, engineer=engineer, now=T0)
    ticket_transition(ticket=ticket, action="contact", actor=engineer, now=T0 + timedelta(minutes=1))
    fresh = stored(ticket)
    stale.category = "changed"
    stale.save()
    assert stored(ticket) == fresh != stale.next_due_at


@pytest.mark.django_db(transaction=True)
def test_migration_fills_next_due_for_cases_opened_before_it(desk_user):
    ticket = CaseFactory(actor=desk_user, severity="major", reported_at=T0)
    ended = CaseFactory(actor=desk_user, severity="major", reported_at=T0)
    ticket_transition(ticket=ended, action="cancel", actor=desk_user, now=T0)
    Ticket.objects.update(next_due_at=None)
    executor = MigrationExecutor(connection)
    executor.migrate([("tickets", "0016_early_warning")])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert stored(ticket) == due(ticket, "first_response")
    assert stored(ended) is None
    assert SLAPolicy.objects.filter(is_default=True).exists()
