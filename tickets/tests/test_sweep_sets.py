"""The sweep's set-based batch: a fixed number of statements per batch whatever the steps, outlets and
recipients in it; texts in every language made once per step; cases whose steps act on them go alone while
the rest of their batch is written together; the ladder's one-walk plan agrees with its step-by-step
answers."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from aftersales.db import int_array, text_array
from aftersales.models import User
from aftersales.roles import Role
from dealers.models import Dealer, DealerMember
from tickets import business_time
from tickets.models import (
    CalendarWindow,
    Escalation,
    EscalationStep,
    Notification,
    SLAMetric,
    TicketEvent,
    TicketPause,
    Timer,
)
from tickets.services import escalation
from tickets.services.clock import Clock, clock_for
from tickets.services.escalation import sla_sweep
from tickets.services.ladder import Ladder, PolicyCache, step_due
from tickets.services.tickets import ticket_transition
from tickets.tests.factories import CalendarFactory, CaseFactory, policy_with_ladder

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LOCK = "SELECT due.ticket_id"  # the statement that opens every batch: the due cases, locked


def four_step_policy(code):
    """A 60-minute first response with four steps to the assignee (25, 50, 75, 100 %)."""
    policy = policy_with_ladder(code=code, calendar=CalendarFactory(), minutes=60, now=T0)
    for order, share in [(2, 25), (3, 50), (4, 75)]:
        EscalationStep.objects.create(policy=policy, order=order, share_percent=share, recipient="assignee")
    return policy


def open_cases(count, *, desk, engineer, policy, reported_at=T0, **fields):
    cases = []
    for _ in range(count):
        ticket = CaseFactory(actor=desk, sla_policy=policy, severity="major", reported_at=reported_at, **fields)
        if engineer is not None:
            ticket = ticket_transition(ticket=ticket, action="assign", actor=desk, engineer=engineer, now=reported_at)
        cases.append(ticket)
    return cases


def per_batch(now, batch_size) -> tuple[object, list[list[str]]]:
    """The sweep's statements cut at each batch's opening statement (the first part: the one-time reads), as
    a worker's first sweep makes them (the configuration read too)."""
    escalation.forget()
    with CaptureQueriesContext(connection) as captured:
        result = sla_sweep(now=now, batch_size=batch_size)
    batches: list[list[str]] = [[]]
    for query in captured.captured_queries:
        sql = query["sql"].strip()
        if sql.startswith(LOCK):
            batches.append([])
        batches[-1].append(sql)
    return result, batches[1:]


@pytest.mark.django_db
def test_statements_per_batch_do_not_grow_with_the_steps_in_it(desk_user, make_user):
    engineer = make_user(Role.ENGINEER)
    one_step = policy_with_ladder(code="ONE", calendar=CalendarFactory(), minutes=60, now=T0)
    open_cases(10, desk=desk_user, engineer=engineer, policy=one_step)
    result, few = per_batch(T0 + timedelta(hours=2), batch_size=5)
    assert result.fired == 10 and result.failed == []
    # Four steps per case, 20 per batch, three batches.
    four_steps = four_step_policy("FOUR")
    open_cases(15, desk=desk_user, engineer=engineer, policy=four_steps, reported_at=T0 + timedelta(days=1))
    result, many = per_batch(T0 + timedelta(days=1, hours=2), batch_size=5)
    assert result.fired == 60 and result.timers == 15 and result.failed == []
    assert Escalation.objects.filter(timer__ticket__sla_policy=four_steps).count() == 60
    # Two and three full batches, then the empty look that ends the sweep.
    assert len(few) == 3 and len(many) == 4 and len(few[-1]) == len(many[-1]) <= 2
    counts = [len(batch) for batch in few[1:-1] + many[1:-1]]
    assert len(set(counts)) == 1, counts  # every batch after the first: the same statements
    # The first batch also reads what the sweep keeps (policies, metrics, ladders, calendars, role members).
    assert len(many[0]) - counts[0] <= 6
    batch = many[1]
    # The escalations, their notifications and events and the timers: one statement.
    (write,) = [sql for sql in batch if sql.startswith("WITH fire AS")]
    for table in ("tickets_escalation", "tickets_notification", "tickets_ticketevent"):
        assert write.count(f"INSERT INTO {table}") == 1, table
    assert write.count("UPDATE tickets_timer") == 1
    assert not [sql for sql in batch if sql.startswith(("INSERT INTO tickets_", "UPDATE tickets_timer"))]
    assert "FOR NO KEY UPDATE SKIP LOCKED" in batch[0]
    assert sum("FOR UPDATE" in sql and "FROM tickets_timer" in sql for sql in batch) == 1
    assert counts[0] <= 11, batch


@pytest.mark.django_db
def test_batch_texts_are_in_every_language_once_per_step(desk_user, make_user):
    engineer = make_user(Role.ENGINEER)
    manager = make_user(Role.SERVICE_MANAGER)
    policy = policy_with_ladder(code="TEXTS", calendar=CalendarFactory(), minutes=60, now=T0)
    EscalationStep.objects.create(policy=policy, order=2, share_percent=100, recipient="role", role="service_manager")
    first, second = open_cases(2, desk=desk_user, engineer=engineer, policy=policy)
    sla_sweep(now=T0 + timedelta(hours=2))
    metric = SLAMetric.objects.get(code="first_response")
    labels = {}
    for code in User.Language.values:
        with translation.override(code):
            labels[code] = str(metric.label)
    for ticket in (first, second):
        rows = list(Notification.objects.filter(ticket=ticket).select_related("escalation__step"))
        # One notification per step and recipient: the engineer's step and the managers' step.
        assert sorted((row.escalation.step.order, row.recipient_id) for row in rows) == [
            (1, engineer.pk),
            (2, manager.pk),
        ]
        for row in rows:
            assert set(row.texts) == set(User.Language.values)
            english = row.texts["en"]
            assert english["title"] == f"{ticket.number}: {labels['en']} at 100% of its target"
            assert english["body"] == "Deadline 2026-03-02 10:00. 设备故障"
            chinese = row.texts["zh-hans"]
            assert ticket.number in chinese["title"] and labels["zh-hans"] in chinese["title"]
            assert chinese["title"] != english["title"] and "2026-03-02 10:00" in chinese["body"]
            # The row's own title and text are the sweep's language's (the default, Chinese).
            assert (row.title, row.body) == (chinese["title"], chinese["body"])
        events = TicketEvent.objects.filter(ticket=ticket, kind="escalation")
        assert sorted((event.data["step"], tuple(event.data["notified"])) for event in events) == [
            (1, (engineer.pk,)),
            (2, (manager.pk,)),
        ]
        assert {event.data["metric"] for event in events} == {"first_response"}
        assert {event.data["at"] for event in events} == {"100%"}


@pytest.mark.django_db
def test_outlet_staff_are_told_of_their_outlets_cases_in_one_query_per_batch(desk_user):
    policy = policy_with_ladder(code="OUTLET", calendar=CalendarFactory(), minutes=60, now=T0)
    policy.escalation_steps.update(recipient="outlet")
    outlets = [Dealer.objects.create(code=f"O{n}", name=f"outlet {n}") for n in range(4)]
    staff = {}
    for outlet in outlets:
        staff[outlet.pk] = []
        for _ in range(2):
            user = User.objects.create_user(username=f"staff-{outlet.code}-{len(staff[outlet.pk])}")
            DealerMember.objects.create(user=user, dealer=outlet)
            staff[outlet.pk].append(user.pk)
    for outlet in outlets[:2]:
        open_cases(2, desk=desk_user, engineer=None, policy=policy, serving_outlet=outlet)
    result, two = per_batch(T0 + timedelta(hours=2), batch_size=100)
    assert result.fired == 4
    for outlet in outlets[2:]:
        open_cases(
            2, desk=desk_user, engineer=None, policy=policy, serving_outlet=outlet, reported_at=T0 + timedelta(days=1)
        )
    result, four = per_batch(T0 + timedelta(days=1, hours=2), batch_size=100)
    assert result.fired == 4
    assert len(two[0]) == len(four[0])  # more outlets, no more statements
    for notification in Notification.objects.filter(kind="escalation").select_related("ticket"):
        assert notification.recipient_id in staff[notification.ticket.serving_outlet_id]
    for outlet in outlets:
        told = set(Notification.objects.filter(ticket__serving_outlet=outlet).values_list("recipient_id", flat=True))
        assert told == set(staff[outlet.pk])


@pytest.mark.django_db
def test_a_case_whose_steps_act_goes_alone_and_its_batch_is_written_together(desk_user, make_user):
    engineer, other = make_user(Role.ENGINEER), make_user(Role.ENGINEER)
    plain = policy_with_ladder(code="PLAIN", calendar=CalendarFactory(), minutes=60, now=T0)
    acting = policy_with_ladder(code="ACTING", calendar=CalendarFactory(), minutes=60, now=T0)
    acting.escalation_steps.update(reassign_to=other)
    batch_cases = open_cases(4, desk=desk_user, engineer=engineer, policy=plain)
    (alone,) = open_cases(1, desk=desk_user, engineer=engineer, policy=acting)
    result = sla_sweep(now=T0 + timedelta(hours=2))
    assert result.fired == 5 and result.failed == []
    for ticket in batch_cases:
        assert Escalation.objects.filter(timer__ticket=ticket).count() == 1
        assert Notification.objects.filter(ticket=ticket, recipient=engineer).count() == 1
    alone.refresh_from_db()
    assert alone.assigned_engineer_id == other.pk  # through the assign service
    assert alone.events.filter(kind="escalation").count() == 1
    assert Escalation.objects.filter(timer__ticket=alone).count() == 1
    assert sla_sweep(now=T0 + timedelta(hours=3)).fired == 0


def test_the_ladders_one_walk_agrees_with_its_step_by_step_answers():
    """Working hours, pauses (closed and open) and 7×24 calendars: the plan's due steps and next action
    are those of ``due_steps`` and ``next_action``."""
    metric = SLAMetric(pk=1, code="first_response")
    steps = [
        EscalationStep(pk=10 + n, order=n, share_percent=share, recipient="assignee")
        for n, share in enumerate([75, 100, 150, 200, 30])
    ]
    steps.append(EscalationStep(pk=30, order=9, delay_minutes=45, recipient="assignee"))
    hours = business_time.Calendar(
        timezone="Asia/Shanghai",
        windows=tuple(business_time.Window(day, time(9), time(17)) for day in range(1, 6)),
    )
    always = business_time.Calendar(timezone="Europe/Berlin", always_open=True)
    start = datetime(2026, 3, 27, 15, 30, tzinfo=UTC)  # a Friday, before Europe's clocks go forward
    ledgers = {
        "none": [],
        "closed": [
            TicketPause(
                status="waiting_customer",
                started_at=start + timedelta(minutes=20),
                ended_at=start + timedelta(hours=20),
            )
        ],
        "open": [TicketPause(status="waiting_customer", started_at=start + timedelta(minutes=50), ended_at=None)],
    }
    for calendar in (hours, always):
        for name, ledger in ledgers.items():
            clock = Clock(calendar=calendar, ledger=ledger, pause_statuses={"first_response": ["waiting_customer"]})
            for minutes in (60, 240, 600):
                timer = Timer(pk=1, metric=metric, target_minutes=minutes, started_at=start)
                for fired in (set(), {10}, {11, 14}):
                    for later in (0, 45, 90, 600, 3000, 6000):
                        now = start + timedelta(minutes=later)
                        ladder = Ladder(steps=steps, clock=clock, fired={1: set(fired)})
                        due, upcoming = ladder.plan(timer, now=now)
                        expected = ladder.due_steps(timer, now=now)
                        assert due == expected, (calendar.always_open, name, minutes, fired, later)
                        after = Ladder(steps=steps, clock=clock, fired={1: fired | {step.pk for step, _ in due}})
                        assert upcoming == after.next_action(timer, after=now), (name, minutes, fired, later)


def test_seven_by_twenty_four_shortcut_is_the_business_time_walk():
    metric = SLAMetric(pk=1, code="first_response")
    step = EscalationStep(pk=1, order=1, delay_minutes=0, recipient="assignee")
    for zone in ("Asia/Shanghai", "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe"):
        calendar = business_time.Calendar(timezone=zone, always_open=True)
        clock = Clock(calendar=calendar, ledger=[])
        for start in (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 4, 4, 23, 59, tzinfo=UTC)):
            for minutes in (0, 1, 59, 61, 1440, 4321, 20000):
                step.delay_minutes = minutes
                timer = Timer(pk=1, metric=metric, target_minutes=10, started_at=start)
                assert step_due(step, timer, clock) == business_time.due_at(calendar, start, minutes), (zone, minutes)


@pytest.mark.django_db
def test_the_sweeps_clock_is_the_cases_clock(desk_user):
    """The sweep's per-case clock (zone looked up once) takes the report day in the calendar's zone, as
    ``clock_for`` does: a case reported at 23:30 UTC is the next day in Shanghai."""
    policy = policy_with_ladder(code="CLOCK", calendar=CalendarFactory(always_open=False), now=T0)
    CalendarWindow.objects.create(calendar=policy.calendar, weekday=3, start=time(9), end=time(17))
    ticket = CaseFactory(actor=desk_user, sla_policy=policy, reported_at=datetime(2026, 3, 3, 23, 30, tzinfo=UTC))
    cache = PolicyCache()
    swept = cache.clock(ticket, [])
    expected = clock_for(ticket, ledger=[])
    assert swept.calendar == expected.calendar and swept.pause_statuses == expected.pause_statuses
    assert cache.calendars.get(policy.calendar, date(2026, 3, 4)) is swept.calendar


@pytest.mark.django_db
def test_no_garbage_collection_runs_inside_a_batch_and_collection_resumes_after(desk_user, make_user):
    import gc

    engineer = make_user(Role.ENGINEER)
    policy = four_step_policy("GC")
    open_cases(6, desk=desk_user, engineer=engineer, policy=policy)
    in_batch, collections = [False], []

    def seen(phase, info):
        if phase == "start" and in_batch[0]:
            collections.append(info["generation"])

    def locking(execute, sql, params, many, context):
        if sql.lstrip().startswith(LOCK):
            in_batch[0] = True
            gc.collect()  # an explicit collection is still possible; the automatic ones are what stop
            collections.clear()
            assert not gc.isenabled()
            # Far more container allocations than gen-0's threshold: would trigger collections if enabled.
            _garbage = [[index] for index in range(gc.get_threshold()[0] * 20)]
        return execute(sql, params, many, context)

    gc.callbacks.append(seen)
    try:
        with connection.execute_wrapper(locking):
            result = sla_sweep(now=T0 + timedelta(hours=2), batch_size=3)
    finally:
        gc.callbacks.remove(seen)
    assert result.fired == 24 and result.failed == []
    assert collections == []
    assert gc.isenabled()
    # Left off by whoever turned it off: the sweep does not turn it on.
    gc.disable()
    try:
        sla_sweep(now=T0 + timedelta(hours=3))
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.django_db
def test_array_literals_carry_any_text_and_null_through_unchanged():
    texts = ["plain", 'say "hi"', "back\\slash", "{braces}, commas", "NULL", "", "  spaced  ", "多语言", None]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::text[], %s::bigint[], %s::timestamptz[]",
            [text_array(texts), int_array([1, None, 2**40]), text_array([T0.isoformat(), None])],
        )
        assert cursor.fetchone() == (texts, [1, None, 2**40], [T0, None])


@pytest.mark.django_db
def test_batch_writes_texts_and_event_data_exactly(desk_user, make_user):
    """Texts with quotes, backslashes and braces go through the batch's array literals unchanged, and the
    event's data (built by the server) is the same object the case's own path writes."""
    engineer = make_user(Role.ENGINEER)
    policy = policy_with_ladder(code="EXACT", calendar=CalendarFactory(), minutes=60, now=T0)
    description = 'Pump "A" \\ leaks {1,2}, NULL'
    (ticket,) = open_cases(1, desk=desk_user, engineer=engineer, policy=policy, description=description)
    result = sla_sweep(now=T0 + timedelta(hours=2))
    assert result.fired == 1 and result.failed == []
    (row,) = Notification.objects.filter(ticket=ticket)
    assert row.texts["en"] == {
        "title": f"{ticket.number}: Phone response at 100% of its target",
        "body": f"Deadline 2026-03-02 10:00. {description}",
    }
    assert row.body == row.texts["zh-hans"]["body"] and row.body.endswith(description)
    assert row.kind == "escalation" and row.object_id is None and row.created_at == T0 + timedelta(hours=2)
    (escalation,) = Escalation.objects.filter(timer__ticket=ticket)
    assert row.escalation == escalation and escalation.due_at == T0 + timedelta(hours=1)
    (event,) = TicketEvent.objects.filter(ticket=ticket, kind="escalation")
    assert event.data == {
        "metric": "first_response",
        "step": 1,
        "at": "100%",
        "due": "2026-03-02T02:00:00+00:00",
        "notified": [engineer.pk],
    }
    assert (event.actor_id, event.from_state, event.to_state, event.at) == (None, "", "", T0 + timedelta(hours=2))


CONFIGURATION = ("tickets_slapolicy", "tickets_slametric", "tickets_escalationstep", "tickets_calendar")


def configuration_reads(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith("SELECT") and any(f'FROM "{t}' in sql for t in CONFIGURATION)]


@pytest.mark.django_db
def test_the_configuration_is_kept_between_sweeps_while_its_stamp_holds(desk_user, make_user):
    """A worker's next sweep does not read the policies, metrics, ladder steps and calendars again; an edit
    of any of them (a new stamp) is read by the next sweep and swept with."""
    engineer = make_user(Role.ENGINEER)
    policy = policy_with_ladder(code="KEPT", calendar=CalendarFactory(), minutes=60, now=T0)
    open_cases(2, desk=desk_user, engineer=engineer, policy=policy)
    _result, first = per_batch(T0 + timedelta(hours=2), batch_size=100)
    assert len(configuration_reads(first[0])) >= 4  # policy, metrics, steps, the calendar's windows and dates
    open_cases(2, desk=desk_user, engineer=engineer, policy=policy, reported_at=T0 + timedelta(days=1))
    with CaptureQueriesContext(connection) as captured:
        result = sla_sweep(now=T0 + timedelta(days=1, hours=2), batch_size=100)
    assert result.fired == 2
    assert configuration_reads([q["sql"] for q in captured.captured_queries]) == []
    # An admin adds a step at half the target: the next sweep reads the ladder again and fires it.
    EscalationStep.objects.create(policy=policy, order=2, share_percent=50, recipient="assignee")
    (late,) = open_cases(1, desk=desk_user, engineer=engineer, policy=policy, reported_at=T0 + timedelta(days=2))
    with CaptureQueriesContext(connection) as captured:
        result = sla_sweep(now=T0 + timedelta(days=2, minutes=40), batch_size=100)
    assert configuration_reads([q["sql"] for q in captured.captured_queries])
    assert result.fired == 1
    assert list(Escalation.objects.filter(timer__ticket=late).values_list("step__order", flat=True)) == [2]
