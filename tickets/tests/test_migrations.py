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

    after = migrate([("tickets", "0014_timer_outcomes")])
    timers = after.get_model("tickets", "Timer").objects.select_related("ticket", "metric")
    rows = {(t.ticket.number, t.metric.code): t for t in timers}
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


@pytest.fixture
def at_0014():
    apps = migrate([("tickets", "0014_timer_outcomes"), ("warranty", "0003_repair_source")])
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_migration_0015_coverage_snapshot_typed_with_keys(at_0014, django_user_model):
    apps = at_0014
    policy = apps.get_model("warranty", "WarrantyPolicy").objects.create(code="OLDPOL", name="old", regime="car_2021")
    version = apps.get_model("warranty", "PolicyVersion").objects.create(
        policy=policy, version=3, effective_from="2020-01-01", whole_unit_months=36, sanbao_months=24, created_at=T0
    )
    user = django_user_model.objects.create(username="old-desk")
    ticket = make_case(apps, "OLD-9", "new", user)
    ticket.coverage_snapshot = {
        "serial": "LSV0001",
        "on": "2026-03-02",
        "usage": 1200,
        "covered": True,
        "basis": {
            "regime": "car_2021",
            "policy": {"id": policy.pk, "code": "OLDPOL", "name": "old"},
            "version": 3,
            "effective_from": "2020-01-01",
            "contract": None,
            "start_event": "invoice",
            "start_date": "2025-06-01",
        },
        "periods": [
            {
                "name": "repair_period",
                "label": "包修期",
                "start": "2025-06-01",
                "end": "2028-06-01",
                "usage_limit": 60000,
                "active": True,
            }
        ],
        "component": None,
        "reason": None,
        "registration": {"registered_at": "2025-06-01T10:00:00+08:00", "late": False, "due": "2025-06-21"},
    }
    ticket.save()
    after = migrate([("tickets", "0015_repair_reports_coverage_basis")])
    migrated = after.get_model("tickets", "Ticket").objects.get(number="OLD-9")
    assert migrated.coverage_policy_version_id == version.pk
    snapshot = migrated.coverage_snapshot
    assert snapshot["schema"] == 1 and snapshot["covered"] is True and snapshot["policy_version"] == 3
    assert snapshot["periods"][0]["end"] == "2028-06-01" and snapshot["start_date"] == "2025-06-01"
    from tickets.coverage_snapshot import CoverageSnapshot

    assert CoverageSnapshot.from_json(snapshot).periods[0].usage_limit == 60000
