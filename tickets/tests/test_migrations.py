"""Data migrations on rows written before them: what the history decides is filled in."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.fixture
def at_0013():
    apps = migrate([("tickets", "0013_sla_problems_midnight_windows")])
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def make_case(apps, number, status, created_by):
    policy = apps.get_model("tickets", "SLAPolicy").objects.get(is_default=True)
    severity = policy.severities.get(code="critical")
    return apps.get_model("tickets", "Ticket").objects.create(
        number=number,
        channel="phone",
        status=status,
        reporter_name="x",
        description="y",
        sla_policy=policy,
        severity=severity,
        reported_at=T0,
        created_at=T0,
        created_by_id=created_by.pk,
    )


@pytest.mark.django_db(transaction=True)
def test_migration_0014_timer_outcomes_from_history(at_0013, django_user_model):
    apps = at_0013
    user = django_user_model.objects.create(username="old-desk")
    timer_model = apps.get_model("tickets", "Timer")
    event_model = apps.get_model("tickets", "TicketEvent")
    metric = {m.code: m for m in apps.get_model("tickets", "SLAMetric").objects.all()}

    def old_timer(ticket, code, state, target, met_at=None, due=None):
        return timer_model.objects.create(
            ticket=ticket,
            metric=metric[code],
            target_minutes=target,
            started_at=T0,
            due_at=due or T0 + timedelta(minutes=target),
            state=state,
            met_at=met_at,
        )

    # Solved by phone in an hour: the old resolve "met" the remote response too, and cancelled the loaner.
    phone = make_case(apps, "OLD-1", "resolved", user)
    old_timer(phone, "first_response", "met", 10, met_at=T0 + timedelta(minutes=5))
    old_timer(phone, "remote_response", "met", 180, met_at=T0 + timedelta(hours=1))
    old_timer(phone, "loaner", "cancelled", 2880)
    event_model.objects.create(ticket=phone, kind="contact", at=T0 + timedelta(minutes=5), data={})
    event_model.objects.create(
        ticket=phone,
        kind="resolve",
        at=T0 + timedelta(hours=1),
        data={"met": ["remote_response", "onsite_arrival", "resolution"]},
    )
    # A cancelled case, and a late contact (wall-clock minutes late before, business minutes now).
    cancelled = make_case(apps, "OLD-2", "cancelled", user)
    old_timer(cancelled, "first_response", "cancelled", 10)
    event_model.objects.create(ticket=cancelled, kind="cancel", at=T0 + timedelta(minutes=10), data={})
    late = make_case(apps, "OLD-3", "in_progress", user)
    old_timer(late, "first_response", "breached", 10, met_at=T0 + timedelta(minutes=25))

    migrate([("tickets", "0014_timer_outcomes")])
    from tickets.models import Timer

    rows = {(t.ticket.number, t.metric.code): t for t in Timer.objects.select_related("ticket", "metric")}
    remote = rows["OLD-1", "remote_response"]
    assert (remote.state, remote.met_at, remote.stopped_at) == ("not_needed", None, T0 + timedelta(hours=1))
    assert remote.business_minutes == 60
    first = rows["OLD-1", "first_response"]
    assert (first.state, first.stopped_at, first.business_minutes) == ("met", T0 + timedelta(minutes=5), 5)
    loaner = rows["OLD-1", "loaner"]
    assert (loaner.state, loaner.stopped_at) == ("not_needed", T0 + timedelta(hours=1))
    assert (rows["OLD-2", "first_response"].state, rows["OLD-2", "first_response"].stopped_at) == (
        "cancelled",
        T0 + timedelta(minutes=10),
    )
    contact = rows["OLD-3", "first_response"]
    assert (contact.state, contact.business_minutes, contact.breach_minutes) == ("breached", 25, 15)
