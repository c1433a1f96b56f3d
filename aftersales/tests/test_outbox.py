"""Nothing is lost when the broker is down: logins and reads work without Redis, and every task goes through
the transactional outbox, published after commit or by the beat relay once Redis is back."""

from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from aftersales.models import OutboxMessage
from aftersales.outbox import outbox_enqueue, outbox_purge, outbox_relay
from aftersales.roles import Role
from aftersales.testing import CeleryBeat, CeleryWorker, RedisServer, broker_at, wait_for
from aftersales.tests.factories import PASSWORD
from tickets.models import Notification
from tickets.services.escalation import sla_sweep
from tickets.services.tickets import ticket_create, ticket_transition
from warranty.models import UnitImport, WarrantyPolicy
from warranty.tests.factories import PolicyFactory, ProductModelFactory, version_from_preset

# Beat runs only the relay, every second; the other schedules stay out of the way.
QUIET_BEAT = {
    "OUTBOX_RELAY_SECONDS": "1",
    "HEARTBEAT_INTERVAL_SECONDS": "3600",
    "SLA_SWEEP_SECONDS": "3600",
    "VISIT_GENERATE_SECONDS": "86400",
}


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@contextmanager
def broker(redis: RedisServer):
    """Point this process's broker and cache at the throw-away Redis."""
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis.url}}
    with broker_at(redis.url), override_settings(REDIS_URL=redis.url, CELERY_BROKER_URL=redis.url, CACHES=caches):
        yield


def import_file(model_code: str) -> SimpleUploadedFile:
    content = f"serial,model\nOUT-1,{model_code}\nOUT-2,{model_code}\n".encode()
    return SimpleUploadedFile("units.csv", content, content_type="text/csv")


def car_model():
    policy = PolicyFactory(regime=WarrantyPolicy.Regime.CAR_2021)
    version_from_preset(policy, "car_2021", effective_from=date(2015, 1, 1))
    return ProductModelFactory(policy=policy)


@pytest.mark.django_db
def test_token_login_page_login_and_reads_work_with_redis_down(client, make_user, redis_server):
    make_user(Role.SERVICE_DESK, username="desk1")
    api = APIClient()
    with broker(redis_server):
        redis_server.stop()
        response = api.post("/api/v1/auth/token/", {"username": "desk1", "password": PASSWORD}, format="json")
        assert response.status_code == 200, response.content
        api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        assert api.get("/api/v1/me/").status_code == 200
        assert api.get("/api/v1/tickets/").status_code == 200
        assert api.get("/api/v1/units/").status_code == 200

        page = client.post("/accounts/login/", {"username": "desk1", "password": PASSWORD})
        assert page.status_code == 302
        assert client.get("/cases/").status_code == 200


@pytest.mark.django_db
def test_enqueue_in_a_rolled_back_transaction_leaves_nothing_to_send(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox_enqueue("aftersales.tasks.heartbeat")
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_relay_with_broker_down_keeps_the_message_and_counts_the_attempt(redis_server):
    with broker(redis_server):
        redis_server.stop()
        message = outbox_enqueue("aftersales.tasks.heartbeat")
        assert outbox_relay() == 0
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1 and "connect" in message.last_error.lower()


@pytest.mark.django_db
def test_relay_sends_each_message_once_and_purge_keeps_unsent_ones(redis_server):
    import redis

    with broker(redis_server):
        first = outbox_enqueue("aftersales.tasks.heartbeat")
        second = outbox_enqueue("aftersales.tasks.heartbeat")
        assert outbox_relay() == 2
        assert outbox_relay() == 0
    queued = redis.Redis.from_url(redis_server.url).llen("celery")
    assert queued == 2
    now = timezone.now()
    assert outbox_purge(now=now + timedelta(days=8)) == 2
    assert not OutboxMessage.objects.filter(pk__in=[first.pk, second.pk]).exists()
    unsent = OutboxMessage.objects.create(task="x", created_at=now - timedelta(days=30))
    assert outbox_purge(now=now) == 0
    assert OutboxMessage.objects.filter(pk=unsent.pk).exists()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_import_upload_with_broker_down_is_201_and_done_after_redis_and_the_relay_are_back(
    make_user, redis_server, tmp_path
):
    model = car_model()
    api = APIClient()
    api.force_authenticate(make_user(Role.ADMIN))
    worker = CeleryWorker(redis_url=redis_server.url, log_file=tmp_path / "worker.log").start()
    beat = CeleryBeat(redis_url=redis_server.url, folder=tmp_path, env=QUIET_BEAT)
    try:
        with broker(redis_server):
            redis_server.stop()
            response = api.post("/api/v1/unit-imports/", {"file": import_file(model.code)})
            assert response.status_code == 201, response.content
            job = UnitImport.objects.get(pk=response.json()["id"])
            assert job.status == UnitImport.Status.PENDING
            message = OutboxMessage.objects.get(task="warranty.unit_import_run")
            assert (message.args, message.sent_at, message.attempts) == ([job.pk], None, 1)

            redis_server.start()
            beat.start()
            wait_for(
                lambda: UnitImport.objects.get(pk=job.pk).status == UnitImport.Status.DONE,
                timeout=120,
                what="the relayed import to run",
            )
        job.refresh_from_db()
        assert job.created_count == 2
        message.refresh_from_db()
        assert message.sent_at is not None
    finally:
        beat.stop()
        worker.stop()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_digest_queued_while_broker_down_is_mailed_once_after_it_is_back(make_user, redis_server, tmp_path):
    desk = make_user(Role.SERVICE_DESK)
    engineer = make_user(Role.ENGINEER, email="eng@example.com")
    manager = make_user(Role.SERVICE_MANAGER, email="sm@example.com")
    reported = timezone.now() - timedelta(minutes=15)
    ticket = ticket_create(
        actor=desk,
        channel="phone",
        reporter_name="x",
        description="停机",
        severity="critical",
        reported_at=reported,
        now=reported,
    )
    ticket_transition(ticket=ticket, action="assign", actor=desk, engineer=engineer, now=reported)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    worker = CeleryWorker(
        redis_url=redis_server.url, log_file=tmp_path / "worker.log", env={"AFTERSALES_TEST_MAIL_DIR": str(mail_dir)}
    )
    worker.start()
    beat = CeleryBeat(redis_url=redis_server.url, folder=tmp_path, env=QUIET_BEAT)
    try:
        with broker(redis_server):
            redis_server.stop()
            # The sweep runs (in a worker that still has its database) while the broker is down.
            assert sla_sweep(now=timezone.now()).fired >= 2
            digests = OutboxMessage.objects.filter(task="tickets.notification_digest")
            assert digests.count() == 2 and not digests.filter(sent_at__isnull=False).exists()
            notifications = Notification.objects.filter(recipient__in=[engineer, manager])
            assert notifications.exists() and not notifications.filter(emailed_at__isnull=False).exists()

            redis_server.start()
            beat.start()
            wait_for(
                lambda: not notifications.filter(emailed_at__isnull=True).exists(),
                timeout=120,
                what="the relayed digests to be mailed",
            )
            outbox_relay()  # a late relay run changes nothing
            wait_for(lambda: not digests.filter(sent_at__isnull=True).exists(), timeout=10, what="sent marks")
            beat.stop()
        mails = [path.read_text() for path in sorted(Path(mail_dir).iterdir())]
        recipients = sorted(
            line.split(": ", 1)[1] for text in mails for line in text.splitlines() if line.startswith("To: ")
        )
        assert recipients == ["eng@example.com", "sm@example.com"]
    finally:
        beat.stop()
        worker.stop()


@pytest.mark.django_db
def test_requeue_queues_stale_pending_jobs_once_and_leaves_fresh_done_and_queued_ones(make_user):
    from warranty.services.imports import unit_import_create, unit_imports_requeue

    admin = make_user(Role.ADMIN)
    model = car_model()
    now = timezone.now()
    stale = unit_import_create(actor=admin, uploaded_file=import_file(model.code), now=now - timedelta(hours=2))
    fresh = unit_import_create(actor=admin, uploaded_file=import_file(model.code), now=now - timedelta(minutes=1))
    done = unit_import_create(actor=admin, uploaded_file=import_file(model.code), now=now - timedelta(hours=2))
    UnitImport.objects.filter(pk=done.pk).update(status=UnitImport.Status.DONE)
    queued_already = unit_import_create(
        actor=admin, uploaded_file=import_file(model.code), now=now - timedelta(hours=2)
    )
    # The stale job's message was lost (a job from before the outbox, or published to a broker that lost it).
    OutboxMessage.objects.filter(args=[stale.pk]).update(sent_at=now - timedelta(hours=2))
    OutboxMessage.objects.filter(args=[done.pk]).update(sent_at=now - timedelta(hours=2))

    assert unit_imports_requeue(now=now) == 1
    unsent = OutboxMessage.objects.filter(task="warranty.unit_import_run", sent_at__isnull=True)
    assert sorted(message.args[0] for message in unsent) == sorted([stale.pk, fresh.pk, queued_already.pk])
    assert unit_imports_requeue(now=now) == 0  # its new message is waiting: not queued twice
