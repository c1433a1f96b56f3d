# ruff: noqa: F811  (fixtures imported from the claims tests are parameters here)
"""Several hosts' worth of processes on one database and one broker: two gunicorn web processes and two
Celery workers. Nothing is done twice: due escalations fire once with one notification each, every outbox
message (the e-mail digests) is delivered once, and a claim submitted to both web processes at the same
moment with one Idempotency-Key is created once."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import Count
from django.utils import timezone
from rest_framework.authtoken.models import Token

from aftersales import testing
from aftersales.embedded import BASE_DIR
from aftersales.models import OutboxMessage
from aftersales.roles import Role
from aftersales.testing import CeleryWorker, RedisServer, broker_at, wait_for
from claims.models import Claim
from claims.tests.conftest import (  # noqa: F401
    brake_part,
    car,
    car_model,
    car_policy,
    dealer,
    dealer_user,
    operation,
    rated_dealer,
    repair_type,
    sold_car,
    staff,
)
from tickets.models import Escalation, Notification, Ticket, TicketEvent, Timer

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Web:
    """One gunicorn process (its own master and worker), as on one web host."""

    def __init__(self, redis_url: str, mail_dir: Path):
        self.port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "aftersales.settings.test",
            "DATABASE_URL": testing.test_database_url(),
            "REDIS_URL": redis_url,
            "AFTERSALES_TEST_MAIL_DIR": str(mail_dir),
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        command = [sys.executable, "-m", "gunicorn", "aftersales.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4"]
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def wait(self):
        def up():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/accounts/login/", timeout=2):
                    return True
            except OSError:
                assert self.process.poll() is None, "gunicorn exited"
                return False

        wait_for(up, timeout=60, what="gunicorn to answer")

    def call(self, method: str, path: str, token: str, body: dict | None = None, headers: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def cluster(tmp_path):
    """Two web processes and two workers on the test database and one throw-away Redis."""
    redis = RedisServer().start()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    webs = [Web(redis.url, mail_dir) for _ in range(2)]
    workers = [
        CeleryWorker(
            redis_url=redis.url, log_file=tmp_path / f"worker{n}.log", env={"AFTERSALES_TEST_MAIL_DIR": str(mail_dir)}
        )
        for n in range(2)
    ]
    try:
        with broker_at(redis.url):
            for worker in workers:
                worker.start(wait=False)
            for web in webs:
                web.wait()
            for worker in workers:
                wait_for(worker.answers, timeout=60, what="a Celery worker to answer a ping")
            yield webs, workers, mail_dir
    finally:
        # Every process told at once, then waited for (each takes a few seconds to finish its work).
        processes = [web.process for web in webs] + [worker.process for worker in workers if worker.process]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        redis.stop()


def test_two_web_processes_and_two_workers_do_nothing_twice(
    cluster, make_user, staff, sold_car, operation, repair_type
):
    from aftersales.celery import app

    webs, _workers, mail_dir = cluster
    desk = make_user(Role.SERVICE_DESK)
    engineer = make_user(Role.ENGINEER, email="eng@example.com")
    make_user(Role.SERVICE_MANAGER, email="sm@example.com")
    desk_token = Token.objects.create(user=desk).key
    staff_token = Token.objects.create(user=staff).key

    # Cases opened through both web processes, reported 20 minutes ago: critical, so the first-response
    # ladder (75 %, 100 %, 150 %, 200 % of 10 minutes) has its first three steps due.
    reported = (timezone.now() - timedelta(minutes=20)).isoformat()
    for index in range(6):
        status, body = webs[index % 2].call(
            "POST",
            "/api/v1/tickets/",
            desk_token,
            {
                "channel": "phone",
                "reporter_name": "王",
                "description": "停机",
                "severity": "critical",
                "reported_at": reported,
            },
        )
        assert status == 201, body
    tickets = Ticket.objects.all()
    assert tickets.count() == 6
    for ticket in tickets:
        status, body = webs[ticket.pk % 2].call(
            "POST",
            f"/api/v1/tickets/{ticket.pk}/assign/",
            desk_token,
            {"engineer": engineer.username, "version": ticket.version},
        )
        assert status == 200, body

    # Both workers sweep at once, several times over (as when beats overlap or a task is redelivered).
    for _ in range(6):
        app.send_task("tickets.sla_sweep")
    due = Timer.objects.filter(state__in=["running", "breached"], next_action_at__lte=timezone.now())
    wait_for(lambda: not due.exists(), timeout=120, what="the sweeps to fire every due step")
    for _ in range(4):
        app.send_task("aftersales.outbox_relay")
    wait_for(
        lambda: (
            not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
            and not Notification.objects.filter(emailed_at__isnull=True, recipient__email__gt="").exists()
        ),
        timeout=120,
        what="the digests to be delivered",
    )

    escalations = Escalation.objects.filter(timer__ticket__in=tickets)
    assert escalations.count() >= 6 * 3
    assert not escalations.values("timer", "step").annotate(n=Count("id")).filter(n__gt=1).exists()
    # One event per fired step, and one notification per step and recipient.
    fired_events = TicketEvent.objects.filter(ticket__in=tickets, kind="escalation").count()
    assert fired_events == escalations.count()
    assert not (Notification.objects.values("escalation", "recipient").annotate(n=Count("id")).filter(n__gt=1).exists())
    # Every outbox message sent once; one mail per digest message, never a second copy.
    digests = OutboxMessage.objects.filter(task="tickets.notification_digest")
    assert digests.exists() and not digests.filter(sent_at__isnull=True).exists()
    time.sleep(2)  # a duplicate delivery would have arrived by now
    mails = sorted(Path(mail_dir).iterdir())
    assert len(mails) == digests.count(), [path.read_text()[:200] for path in mails]

    # One claim, submitted to both web processes at the same moment with one Idempotency-Key.
    now = timezone.localtime() - timedelta(days=1)
    body = {
        "unit": sold_car.serial,
        "claim_type": "repair",
        "problem_code": "BRAKE-NOISE",
        "fault_description": "制动异响",
        "fault_date": now.date().isoformat(),
        "repair_agreed_at": now.isoformat(),
        "repair_completed_at": now.isoformat(),
        "submit": True,
        "lines": [{"kind": "labour", "operation": operation.code, "hours": "1.00"}],
    }
    key = uuid.uuid4().hex
    barrier = threading.Barrier(4)
    answers = []

    def submit(web):
        barrier.wait(timeout=10)
        answers.append(web.call("POST", "/api/v1/claims/", staff_token, body, {"Idempotency-Key": key}))

    threads = [threading.Thread(target=submit, args=(webs[n % 2],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _body in answers) == [200, 200, 200, 201], answers
    assert len({answer["id"] for _status, answer in answers}) == 1
    assert Claim.objects.count() == 1 and Claim.objects.get().submission_count == 1
