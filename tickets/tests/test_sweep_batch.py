"""The sweep writes a batch in a fixed number of statements, however many steps fire in it: one statement for
the escalations (INSERT … ON CONFLICT DO NOTHING RETURNING), their notifications and events and the timers,
one refresh of the cases' next deadlines; a step fired meanwhile is not told twice."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.models import OutboxMessage
from aftersales.roles import Role
from tickets.models import Escalation, Notification, Ticket, TicketEvent, Timer
from tickets.services import escalation
from tickets.services.escalation import sla_sweep
from tickets.services.tickets import ticket_transition
from tickets.tests.factories import CalendarFactory, CaseFactory, policy_with_ladder

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def ladder_policy():
    return policy_with_ladder(code="BATCH", calendar=CalendarFactory(), minutes=60, now=T0)


def open_cases(count, *, desk, engineer, policy, reported_at):
    cases = []
    for _ in range(count):
        ticket = CaseFactory(actor=desk, sla_policy=policy, severity="major", reported_at=reported_at)
        cases.append(ticket_transition(ticket=ticket, action="assign", actor=desk, engineer=engineer, now=reported_at))
    return cases


def sweep_statements(now) -> tuple[int, object, list[str]]:
    escalation.forget()  # counted as a worker's first sweep reads: the configuration too
    with CaptureQueriesContext(connection) as captured:
        result = sla_sweep(now=now, batch_size=1000)
    return len(captured.captured_queries), result, [q["sql"].strip() for q in captured.captured_queries]


def target(sql: str) -> str:
    """The table an INSERT or UPDATE writes."""
    words = sql.split()
    return (words[2] if words[0] == "INSERT" else words[1]).strip('"')


def test_sweep_statement_count_does_not_depend_on_the_steps_it_fires(desk_user, make_user, ladder_policy):
    engineer, *others = [make_user(Role.ENGINEER) for _ in range(10)]
    open_cases(10, desk=desk_user, engineer=engineer, policy=ladder_policy, reported_at=T0)
    few, result, _sql = sweep_statements(T0 + timedelta(hours=2))
    assert result.fired == 10 and result.failed == []
    open_cases(100, desk=desk_user, engineer=engineer, policy=ladder_policy, reported_at=T0 + timedelta(days=1))
    # Nine more engineers' cases: one digest each, all in the one INSERT into the outbox.
    for other in others:
        open_cases(1, desk=desk_user, engineer=other, policy=ladder_policy, reported_at=T0 + timedelta(days=1))
    many, result, statements = sweep_statements(T0 + timedelta(days=1, hours=2))
    assert result.fired == 109 and result.timers == 109
    assert few == many, (few, many)
    assert OutboxMessage.objects.filter(task="tickets.notification_digest").count() == 1 + 10
    # The escalations, notifications, events and timers of the batch in its one statement, and no other
    # statement writes any of them.
    writes = [sql for sql in statements if sql.startswith("WITH fire AS")]
    assert len(writes) == 1
    for part in (
        "INSERT INTO tickets_escalation",
        "ON CONFLICT (timer_id, step_id) DO NOTHING",
        "INSERT INTO tickets_notification",
        "INSERT INTO tickets_ticketevent",
        "UPDATE tickets_timer",
    ):
        assert writes[0].count(part) == 1, part
    written = {target(sql) for sql in statements if sql.startswith(("INSERT INTO", "UPDATE"))}
    assert written == {"aftersales_outboxmessage"}, written  # the digests
    # Every step once, each told to the assignee once and written in the case's history, the timers breached.
    assert Escalation.objects.count() == 119
    assert Notification.objects.filter(kind="escalation", recipient=engineer).count() == 110
    assert TicketEvent.objects.filter(kind="escalation").count() == 119
    assert set(Timer.objects.filter(ticket__sla_policy=ladder_policy).values_list("state", flat=True)) == {"breached"}
    assert Timer.objects.filter(ticket__sla_policy=ladder_policy, next_action_at__isnull=False).count() == 0
    # The cases' next deadline is still their (past) first-response deadline.
    for ticket in Ticket.objects.filter(sla_policy=ladder_policy):
        assert ticket.next_due_at == Timer.objects.get(ticket=ticket).due_at
    # A second sweep finds nothing due and fires nothing.
    assert sla_sweep(now=T0 + timedelta(days=1, hours=3)).fired == 0


def test_a_step_fired_by_another_sweep_meanwhile_is_not_told_twice(desk_user, make_user, ladder_policy):
    engineer = make_user(Role.ENGINEER)
    first, second = open_cases(2, desk=desk_user, engineer=engineer, policy=ladder_policy, reported_at=T0)
    # Another sweep fired the first case's step and committed after this sweep read what was fired.
    timer = Timer.objects.get(ticket=first)
    from tickets.services import escalation as escalation_services

    original = escalation_services.fired_steps

    def read_then_other_sweep_fires(timers):
        fired = original(timers)
        Escalation.objects.create(timer=timer, step=ladder_policy.escalation_steps.get(), due_at=T0, fired_at=T0)
        return fired

    escalation_services.fired_steps = read_then_other_sweep_fires
    try:
        result = sla_sweep(now=T0 + timedelta(hours=2))
    finally:
        escalation_services.fired_steps = original
    assert result.fired == 1 and result.failed == []
    assert Escalation.objects.filter(timer__ticket=first).count() == 1
    assert Notification.objects.filter(ticket=first).count() == 0  # the other sweep told them
    assert Notification.objects.filter(ticket=second).count() == 1
    assert Timer.objects.get(ticket=first).next_action_at is None  # planned as fired all the same


def test_a_case_the_batch_cannot_write_is_marked_and_the_others_escalate(desk_user, make_user, ladder_policy):
    engineer = make_user(Role.ENGINEER)
    good, bad, other = open_cases(3, desk=desk_user, engineer=engineer, policy=ladder_policy, reported_at=T0)
    with connection.cursor() as cursor:
        # The database refuses the bad case's escalation event (as a full disk or a broken row would).
        cursor.execute(
            """
            CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.ticket_id = %s AND NEW.kind = 'escalation' THEN RAISE EXCEPTION 'refused'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_event BEFORE INSERT ON tickets_ticketevent
                FOR EACH ROW EXECUTE FUNCTION refuse_event();
            """,
            [bad.pk],
        )
    now = T0 + timedelta(hours=2)
    result = sla_sweep(now=now)
    assert result.failed == [bad.pk] and result.fired == 2
    assert Escalation.objects.filter(timer__ticket__in=[good, other]).count() == 2
    assert not Escalation.objects.filter(timer__ticket=bad).exists()  # nothing of it half written
    assert not Notification.objects.filter(ticket=bad).exists()
    marked = Timer.objects.get(ticket=bad)
    assert marked.sla_error.startswith("InternalError") and marked.sla_error_at == now
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER refuse_event ON tickets_ticketevent; DROP FUNCTION refuse_event()")
    assert sla_sweep(now=marked.next_action_at).fired == 1  # retried later, once
