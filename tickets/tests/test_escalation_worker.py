"""The sweep on a real Celery worker and real Redis: due steps fire, overlapping sweeps fire none twice, and
a worker that was down catches up once."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from aftersales.roles import Role
from aftersales.testing import CeleryWorker, wait_for
from tickets.models import Escalation
from tickets.services import escalation as escalation_services
from tickets.services.escalation import sla_sweep
from tickets.services.tickets import ticket_create, ticket_transition
from tickets.tasks import sla_sweep_task

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def overdue_case(desk, engineer, minutes_ago=30):
    """A critical case reported ``minutes_ago``: all four first-response steps (8–20 min) are due."""
    reported = timezone.now() - timedelta(minutes=minutes_ago)
    ticket = ticket_create(
        actor=desk,
        channel="phone",
        reporter_name="x",
        description="y",
        severity="critical",
        reported_at=reported,
        now=reported,
    )
    return ticket_transition(ticket=ticket, action="assign", actor=desk, engineer=engineer, now=reported)


def first_response_steps(ticket):
    return sorted(
        Escalation.objects.filter(timer__ticket=ticket, timer__metric__code="first_response").values_list(
            "step__order", flat=True
        )
    )


@pytest.fixture
def people(make_user):
    return make_user(Role.SERVICE_DESK), make_user(Role.ENGINEER)


def test_worker_sweeps_and_two_concurrent_sweeps_fire_each_step_once(people, settings, tmp_path):
    desk, engineer = people
    ticket = overdue_case(desk, engineer)
    worker = CeleryWorker(redis_url=settings.REDIS_URL, concurrency=2, log_file=tmp_path / "worker.log").start()
    try:
        sla_sweep_task.delay()
        sla_sweep_task.delay()
        wait_for(lambda: first_response_steps(ticket) == [1, 2, 3, 4], timeout=60, what="the sweeps to fire")
        time.sleep(2)  # let the second sweep finish too
        assert first_response_steps(ticket) == [1, 2, 3, 4]
    finally:
        worker.stop()


def test_worker_down_for_a_while_fires_the_missed_steps_once(people, settings, tmp_path):
    desk, engineer = people
    worker = CeleryWorker(redis_url=settings.REDIS_URL, log_file=tmp_path / "worker.log").start()
    worker.stop()
    # While no worker runs, beat keeps queueing sweeps and a case's steps come due.
    ticket = overdue_case(desk, engineer, minutes_ago=60)
    for _ in range(3):
        sla_sweep_task.delay()
    worker = CeleryWorker(redis_url=settings.REDIS_URL, log_file=tmp_path / "worker2.log").start()
    try:
        wait_for(lambda: first_response_steps(ticket) == [1, 2, 3, 4], timeout=60, what="the queued sweeps to run")
        time.sleep(2)
        assert first_response_steps(ticket) == [1, 2, 3, 4]
        assert ticket.events.filter(kind="escalation", data__metric="first_response").count() == 4
    finally:
        worker.stop()


def test_threads_sweeping_at_once_share_the_work(people):
    desk, engineer = people
    tickets = [overdue_case(desk, engineer) for _ in range(6)]
    now = timezone.now()
    results = []

    def sweep():
        try:
            results.append(sla_sweep(now=now, batch_size=2).fired)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(first_response_steps(ticket) == [1, 2, 3, 4] for ticket in tickets)
    assert Escalation.objects.count() == sum(results)


class WorkerKilled(BaseException):
    """What a killed worker looks like to the code: not an error a case can be skipped for."""


def test_a_sweep_that_crashes_mid_batch_loses_nothing(people, monkeypatch):
    desk, engineer = people
    ticket = overdue_case(desk, engineer)
    original = escalation_services.refresh_next_due_at

    def crash_at_the_batchs_last_statement(*args, **kwargs):
        # The escalations, notifications, events and timers of the batch are written by now.
        assert Escalation.objects.filter(timer__ticket=ticket).exists()
        raise WorkerKilled

    monkeypatch.setattr(escalation_services, "refresh_next_due_at", crash_at_the_batchs_last_statement)
    with pytest.raises(WorkerKilled):
        sla_sweep(now=timezone.now())
    assert first_response_steps(ticket) == []  # the batch's transaction rolled back as a whole
    monkeypatch.setattr(escalation_services, "refresh_next_due_at", original)
    sla_sweep(now=timezone.now())
    assert first_response_steps(ticket) == [1, 2, 3, 4]
