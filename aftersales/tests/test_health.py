import pytest
from django.test import override_settings

from aftersales.testing import CeleryWorker, RedisServer, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.celery_worker]


def broker(redis: RedisServer):
    return override_settings(REDIS_URL=redis.url, CELERY_BROKER_URL=redis.url)


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


def test_healthz_all_up_is_200_then_503_naming_redis_then_200_again(client, redis_server, tmp_path):
    worker = CeleryWorker(redis_url=redis_server.url, log_file=tmp_path / "worker.log").start()
    try:
        with broker(redis_server):
            response = client.get("/healthz")
            assert response.status_code == 200, response.json()
            assert response.json()["services"] == {
                "database": {"status": "ok"},
                "redis": {"status": "ok"},
                "celery": {"status": "ok"},
            }

            redis_server.stop()
            response = client.get("/healthz")
            assert response.status_code == 503
            body = response.json()
            assert "redis" in body["failing"]
            assert body["services"]["redis"]["status"] == "down"
            assert body["services"]["database"]["status"] == "ok"

            redis_server.start()
            response = wait_for(
                lambda: (r := client.get("/healthz")).status_code == 200 and r,
                timeout=90,
                what="the worker to reconnect and /healthz to answer 200",
            )
            assert response.json()["failing"] == []
    finally:
        worker.stop()


def test_healthz_without_worker_is_503_naming_celery(client, redis_server):
    with broker(redis_server):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["celery"]
