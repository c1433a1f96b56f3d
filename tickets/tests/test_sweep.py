"""The sweep and people's actions on the same case: one lock order (the case, then its timers), no deadlock,
no lost update; one case at a time, so a bad case is marked and skipped; step actions through the services."""

import threading
import traceback
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.utils import timezone

from aftersales.errors import StaleVersionError
from aftersales.roles import Role
from tickets.models import (
    BusinessCalendar,
    Escalation,
    EscalationStep,
    Notification,
    SLAMetric,
    SLAPolicy,
    Ticket,
    Timer,
)
from tickets.services.escalation import sla_sweep
from tickets.services.tickets import ticket_transition
from tickets.services.timers import RETRY_AFTER
from tickets.tests.factories import CalendarFactory, CaseFactory, policy_with_ladder

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ROUNDS = 20


def timer(ticket, metric):
    return Timer.objects.get(ticket=ticket, metric__code=metric)


@pytest.fixture
def engineer(make_user):
    return make_user(Role.ENGINEER)


def assigned_case(desk, engineer, *, severity, reported_at):
    ticket = CaseFactory(actor=desk, severity=severity, reported_at=reported_at)
    return ticket_transition(ticket=ticket, action="assign", actor=desk, engineer=engineer, now=reported_at)


@pytest.mark.django_db(transaction=True)
def test_sweep_and_user_action_on_one_case_concurrently_no_deadlock_no_lost_update(desk_user, engineer):
    # The first rung raises the severity: the sweep changes the case while a person changes it too.
    EscalationStep.objects.filter(policy__is_default=True, order=1).update(raise_severity=True)
    now = timezone.now()
    errors = []
    for _round in range(ROUNDS):
        # Minor, reported two hours ago: all four first-response steps (45–120 min of 60) are due.
        ticket = assigned_case(desk_user, engineer, severity="minor", reported_at=now - timedelta(hours=2))
        start = threading.Barrier(2)

        def person(ticket=ticket, start=start):
            try:
                start.wait()
                for _attempt in range(5):
                    current = Ticket.objects.get(pk=ticket.pk)
                    try:
                        ticket_transition(
                            ticket=current,
                            action="wait_customer",
                            actor=engineer,
                            expected_version=current.version,
                            now=now,
                        )
                        return
                    except StaleVersionError:
                        continue  # the sweep changed it after we read it: read again, as a client would
                errors.append("the person's change never got through")
            except Exception:  # any error of the thread fails the test
                errors.append(traceback.format_exc())
            finally:
                connection.close()

        def sweeper(start=start):
            try:
                start.wait()
                sla_sweep(now=now)
            except Exception:  # any error of the thread fails the test
                errors.append(traceback.format_exc())
            finally:
                connection.close()

        threads = [threading.Thread(target=person), threading.Thread(target=sweeper)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        sla_sweep(now=now)  # a case the sweep found locked is swept now
        ticket.refresh_from_db()
        # Both changes are there: the person's status and the sweep's severity, each counted in the version.
        assert ticket.status == "waiting_customer"
        assert ticket.severity.code == "major"
        assert ticket.version == 4  # created 1, assigned 2, then one for each of the two changes
        assert ticket.events.filter(kind="severity_changed").count() == 1
        assert sorted(
            Escalation.objects.filter(timer__ticket=ticket, timer__metric__code="first_response").values_list(
                "step__order", flat=True
            )
        ) == [1, 2, 3, 4]
    assert errors == []


@pytest.mark.django_db
def test_sweep_two_timers_raise_severity_once_and_no_stale_copy_overwrites(desk_user, engineer):
    # A rung at 100 % of first response and of remote response raises the severity. A minor case swept 24 h
    # after it was reported has both timers at that rung in one batch: first response (60 min) and remote
    # response (24 h).
    policy = SLAPolicy.objects.get(is_default=True)
    for code in ("first_response", "remote_response"):
        EscalationStep.objects.create(
            policy=policy,
            metric=SLAMetric.objects.get(code=code),
            order=5,
            share_percent=100,
            recipient="role",
            role=Role.SERVICE_MANAGER,
            raise_severity=True,
        )
    ticket = assigned_case(desk_user, engineer, severity="minor", reported_at=T0)
    now = T0 + timedelta(hours=24)
    sla_sweep(now=now)
    ticket.refresh_from_db()
    assert ticket.severity.code == "major"  # one level for the case, not one per timer
    assert ticket.events.filter(kind="severity_changed").count() == 1
    remote = timer(ticket, "remote_response")
    # The major target (8 h) applies and every stored field agrees with it; no stale minor copy was saved.
    assert remote.target_minutes == 480
    assert remote.due_at == T0 + timedelta(hours=8)
    assert remote.state == "breached" and remote.breached_at == remote.due_at
    # Every step due by now fired (the rungs of the new target too), so nothing is left due.
    assert not Timer.objects.filter(ticket=ticket, next_action_at__lte=now).exists()
    assert sorted(Escalation.objects.filter(timer=remote).values_list("step__order", flat=True)) == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_sweep_reassign_step_goes_through_the_assign_service(desk_user, engineer, make_user):
    backup = make_user(Role.ENGINEER)
    EscalationStep.objects.filter(policy__is_default=True, order=2).update(reassign_to=backup, open_loaner=True)
    ticket = assigned_case(desk_user, engineer, severity="critical", reported_at=T0)
    version = ticket.version
    sla_sweep(now=T0 + timedelta(minutes=10))  # first response 10 min: rungs 1 and 2
    ticket.refresh_from_db()
    assert ticket.assigned_engineer == backup
    assert ticket.loaner_requested_at == T0 + timedelta(minutes=10)
    assert ticket.version == version + 2  # the assignment and the loaner request, each a change of the case
    assign = ticket.events.filter(kind="assign").latest("id")
    assert assign.actor is None and assign.data["engineer"] == backup.username
    assert ticket.events.filter(kind="loaner_requested").count() == 1


@pytest.mark.django_db
def test_sweep_refused_step_action_is_recorded_and_escalation_goes_on(desk_user, engineer, make_user):
    not_an_engineer = make_user(Role.SERVICE_DESK)
    EscalationStep.objects.filter(policy__is_default=True, order=1).update(reassign_to=not_an_engineer)
    ticket = assigned_case(desk_user, engineer, severity="critical", reported_at=T0)
    sla_sweep(now=T0 + timedelta(minutes=20))
    ticket.refresh_from_db()
    assert ticket.assigned_engineer == engineer
    refused = ticket.events.get(kind="escalation_action_refused")
    assert refused.data["code"] == "engineer_required"
    assert "engineer_required" in timer(ticket, "first_response").sla_error
    assert Escalation.objects.filter(timer__ticket=ticket).count() == 4


@pytest.mark.django_db
def test_sweep_failing_case_is_marked_skipped_and_retried(desk_user, engineer):
    broken_calendar = CalendarFactory()
    broken = policy_with_ladder(code="BROKEN", calendar=broken_calendar, now=T0)
    bad = CaseFactory(actor=desk_user, sla_policy=broken, severity="major", reported_at=T0)
    good = assigned_case(desk_user, engineer, severity="critical", reported_at=T0)
    # An admin breaks the calendar afterwards (not 7×24 and no working window left).
    BusinessCalendar.objects.filter(pk=broken_calendar.pk).update(always_open=False)
    now = T0 + timedelta(hours=2)
    result = sla_sweep(now=now)
    assert result.failed == [bad.pk]
    assert Escalation.objects.filter(timer__ticket=good).count() == 4  # the good case escalated all the same
    marked = timer(bad, "first_response")
    assert marked.sla_error.startswith("CalendarError: ")
    assert marked.sla_error_at == now and marked.next_action_at == now + RETRY_AFTER
    assert not Escalation.objects.filter(timer__ticket=bad).exists()
    # Once the calendar is fixed, the retry escalates the case and clears the mark.
    BusinessCalendar.objects.filter(pk=broken_calendar.pk).update(always_open=True)
    assert sla_sweep(now=now + RETRY_AFTER).failed == []
    marked.refresh_from_db()
    assert marked.sla_error == "" and Escalation.objects.filter(timer=marked).count() == 1


@pytest.mark.django_db
def test_intake_on_a_broken_calendar_opens_the_case_and_marks_its_timers(admin_client, desk_api):
    policy = policy_with_ladder(code="NOWINDOWS", calendar=CalendarFactory(always_open=False))
    SLAPolicy.objects.filter(is_default=True).update(is_default=False)
    policy.is_default = True
    policy.save()
    body = {"channel": "phone", "reporter_name": "x", "description": "y", "severity": "major"}
    response = desk_api.post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(pk=response.json()["id"])
    marked = timer(ticket, "first_response")
    assert marked.due_at is None and marked.state == "running"
    assert marked.sla_error.startswith("no_windows: ")
    # The sweep does not fail on it either: it tries again, keeps the mark, and plans the next try.
    later = timezone.now() + RETRY_AFTER
    assert sla_sweep(now=later).failed == []
    marked.refresh_from_db()
    assert marked.sla_error_at == later and marked.next_action_at == later + RETRY_AFTER
    # Admins find it by the filter.
    page = admin_client.get("/admin/tickets/timer/", {"sla_problem": "yes"})
    assert page.status_code == 200 and ticket.number in page.content.decode()
    assert ticket.number not in admin_client.get("/admin/tickets/timer/", {"sla_problem": "no"}).content.decode()


@pytest.mark.django_db(transaction=True)
def test_sweep_locked_case_is_left_for_the_next_sweep(desk_user, engineer):
    ticket = assigned_case(desk_user, engineer, severity="critical", reported_at=T0)
    other = assigned_case(desk_user, engineer, severity="critical", reported_at=T0)
    # Another connection holds the first case (a person's action in progress).
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT id FROM tickets_ticket WHERE id = %s FOR NO KEY UPDATE", [ticket.pk])
            result = sla_sweep(now=T0 + timedelta(hours=1))
            cursor.execute("ROLLBACK")
    finally:
        holder.close()
    assert not Escalation.objects.filter(timer__ticket=ticket).exists()
    assert Escalation.objects.filter(timer__ticket=other).count() == 4
    assert result.failed == []
    assert not Notification.objects.filter(ticket=ticket).exists()
