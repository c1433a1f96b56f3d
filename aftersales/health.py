"""``GET /healthz``: is the database, Redis and a Celery worker answering? 200 if all, else 503.

``warnings`` lists what needs an admin soon without anything failing yet (``HEALTH_WARNINGS``: functions
returning ``[{"code", "message", ...}]``, e.g. a year without statutory holiday data); never a 503."""

from __future__ import annotations

import logging

import redis
from celery import Celery
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def check_celery() -> None:
    # A short-lived app bound to the broker in settings now: the control mailbox publishes through the
    # app's own producer pool, so passing a connection to the shared app would not be enough.
    probe = Celery("healthz", broker=settings.CELERY_BROKER_URL, set_as_current=False)
    probe.conf.broker_connection_timeout = TIMEOUT_SECONDS
    probe.conf.broker_connection_retry = False
    probe.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    try:
        replies = probe.control.ping(timeout=TIMEOUT_SECONDS)
    finally:
        probe.close()
    if not replies:
        raise RuntimeError("no Celery worker answered a ping")


CHECKS = {"database": check_database, "redis": check_redis, "celery": check_celery}


def warnings() -> list[dict]:
    found = []
    for path in settings.HEALTH_WARNINGS:
        try:
            found.extend(import_string(path)())
        except Exception:  # a warning source that breaks is itself a warning, never a failure
            logger.exception("health warning source %s failed", path)
            found.append({"code": "warning_check_failed", "message": path})
    return found


@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request):
    services = {}
    for name, check in CHECKS.items():
        if name == "celery" and services.get("redis", {}).get("status") == "down":
            services[name] = {"status": "down", "error": "broker (redis) unreachable"}
            continue
        try:
            check()
        except Exception as error:  # every failure is a "down", whatever the driver raises
            services[name] = {"status": "down", "error": f"{type(error).__name__}: {error}"[:300]}
        else:
            services[name] = {"status": "ok"}
    failing = [name for name, state in services.items() if state["status"] != "ok"]
    body = {"status": "ok" if not failing else "down", "failing": failing, "services": services}
    body["warnings"] = warnings() if services["database"]["status"] == "ok" else []
    if services["redis"]["status"] == "ok":
        # Informational: when beat last got a task through to a worker (not part of the verdict).
        from aftersales.tasks import HEARTBEAT_KEY

        body["beat_last_heartbeat"] = cache.get(HEARTBEAT_KEY)
    return JsonResponse(body, status=200 if not failing else 503)
