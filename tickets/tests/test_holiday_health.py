"""``/healthz`` lists missing statutory holiday data as a warning, never as a failure (200 with a worker)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from aftersales.testing import CeleryWorker, RedisServer
from tickets.services.holidays import holiday_schedule_save

pytestmark = [pytest.mark.django_db, pytest.mark.celery_worker]
NOW = datetime(2026, 12, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# A TEST SCHEDULE shaped like a Spring Festival, not the State Council's 2027 notice.
SPRING_2027 = [date(2027, 2, 6) + timedelta(days=n) for n in range(8)]


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


def test_healthz_on_2026_12_15_warns_of_2027_until_it_is_entered(
    client, redis_server, tmp_path, monkeypatch, workday_calendar
):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    worker = CeleryWorker(redis_url=redis_server.url, log_file=tmp_path / "worker.log").start()
    try:
        with override_settings(REDIS_URL=redis_server.url, CELERY_BROKER_URL=redis_server.url):
            response = client.get("/healthz")
            body = response.json()
            assert response.status_code == 200, body
            assert body["status"] == "ok" and body["failing"] == []
            [warning] = body["warnings"]
            assert warning["code"] == "holiday_data_missing"
            assert warning["years"] == [2027]
            assert workday_calendar.name in warning["calendars"]
            assert warning["message"].startswith("China's statutory holidays for 2027 are not known")

            holiday_schedule_save(year=2027, days_off=SPRING_2027, makeup_days=[date(2027, 2, 20)], now=NOW)
            response = client.get("/healthz")
            assert response.status_code == 200
            assert response.json()["warnings"] == []
    finally:
        worker.stop()


def test_healthz_warning_source_that_breaks_is_a_warning_not_a_failure(client, redis_server, settings):
    settings.HEALTH_WARNINGS = ["tickets.services.holidays.no_such_function"]
    with override_settings(REDIS_URL=redis_server.url, CELERY_BROKER_URL=redis_server.url):
        body = client.get("/healthz").json()
    assert body["failing"] == ["celery"]  # no worker here: only celery fails, the broken source does not
    assert body["warnings"][0]["code"] == "warning_check_failed"
