"""The relay keeps its broker connection per process: relays after the first open none and declare no queue
again, and a connection the broker dropped is replaced without losing or delaying a message."""

import pytest
import redis

from aftersales.models import OutboxMessage
from aftersales.outbox import outbox_enqueue, outbox_relay
from aftersales.testing import RedisServer
from aftersales.tests.test_outbox import broker


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


def broker_counts(client: redis.Redis) -> tuple[int, int]:
    """Connections the broker accepted and queue declarations it saw (Kombu's Redis transport declares a
    queue by adding its binding to a set). ``client`` keeps one connection of its own."""
    opened = client.info("stats")["total_connections_received"]
    return opened, client.info("commandstats").get("cmdstat_sadd", {}).get("calls", 0)


@pytest.mark.django_db
def test_relays_share_one_broker_connection_and_declare_the_queue_once(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    with broker(redis_server):
        outbox_enqueue("aftersales.tasks.heartbeat")
        assert outbox_relay() == 1
        after_first = broker_counts(client)
        for _ in range(5):
            outbox_enqueue("aftersales.tasks.heartbeat")
            assert outbox_relay() == 1
        assert broker_counts(client) == after_first
    assert redis.Redis.from_url(redis_server.url).llen("celery") == 6


@pytest.mark.django_db
def test_broker_restarted_between_relays_the_next_relay_sends_on_a_new_connection(redis_server):
    with broker(redis_server):
        outbox_enqueue("aftersales.tasks.heartbeat")
        assert outbox_relay() == 1
        redis_server.stop()
        redis_server.start()  # the kept connection's socket is dead now
        message = outbox_enqueue("aftersales.tasks.heartbeat")
        assert outbox_relay() == 1
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 0
    assert redis.Redis.from_url(redis_server.url).llen("celery") == 1


@pytest.mark.django_db
def test_broker_down_after_a_kept_connection_keeps_the_message_and_counts_the_attempt(redis_server):
    with broker(redis_server):
        outbox_enqueue("aftersales.tasks.heartbeat")
        assert outbox_relay() == 1
        redis_server.stop()
        message = outbox_enqueue("aftersales.tasks.heartbeat")
        assert outbox_relay() == 0
        message.refresh_from_db()
        assert message.sent_at is None and message.attempts == 1
        redis_server.start()
        assert outbox_relay() == 1
    assert OutboxMessage.objects.get(pk=message.pk).sent_at is not None
