"""Transactional outbox: every task the product enqueues is first a row written in the caller's transaction.

``outbox_enqueue`` records the task and publishes it right after commit; when the broker cannot be reached
the row stays unsent and ``outbox_relay`` (run by beat every ``OUTBOX_RELAY_SECONDS``) publishes it once
the broker is back. Publishing from a request never waits on a dead broker: one connection attempt with a
short timeout, then the relay takes over.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from aftersales.models import OutboxMessage

logger = logging.getLogger(__name__)

RELAY_BATCH_SIZE = 200
CONNECT_TIMEOUT_SECONDS = 2
KEEP_SENT_DAYS = 7


def outbox_enqueue(task, *args, now: datetime | None = None, **kwargs) -> OutboxMessage:
    """Record ``task(*args, **kwargs)`` in the current transaction and publish it after commit.

    ``task`` is a Celery task or its registered name; arguments must be JSON-serialisable."""
    name = task if isinstance(task, str) else task.name
    message = OutboxMessage.objects.create(task=name, args=list(args), kwargs=kwargs, created_at=now or timezone.now())
    transaction.on_commit(lambda: outbox_relay(message_ids=[message.pk]))
    return message


def outbox_enqueue_many(task, calls: list[tuple], *, now: datetime | None = None) -> list[OutboxMessage]:
    """``outbox_enqueue`` for many calls of one task (each a tuple of positional arguments) in one INSERT."""
    name = task if isinstance(task, str) else task.name
    created_at = now or timezone.now()
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(task=name, args=list(args), kwargs={}, created_at=created_at) for args in calls
    )
    if messages:
        ids = [message.pk for message in messages]
        transaction.on_commit(lambda: outbox_relay(message_ids=ids))
    return messages


def outbox_relay(*, message_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Publish unsent messages (the given ones, or all), oldest first, and mark them sent.

    Rows are locked with SKIP LOCKED, so the after-commit publish and any number of relays never send the
    same row twice. Stops at the first broker error (the rest would fail the same way) and records it on
    the row. Returns how many were published."""
    now = now or timezone.now()
    published = 0
    with _Publisher() as publisher:
        while True:
            with transaction.atomic():
                unsent = OutboxMessage.objects.select_for_update(skip_locked=True).filter(sent_at__isnull=True)
                if message_ids is not None:
                    unsent = unsent.filter(pk__in=message_ids)
                batch = list(unsent.order_by("created_at", "id")[:RELAY_BATCH_SIZE])
                if not batch:
                    return published
                sent: list[OutboxMessage] = []
                for message in batch:
                    try:
                        publisher.publish(message)
                    except Exception as error:  # kombu.OperationalError, OSError, redis errors …
                        logger.warning("Outbox: broker unreachable, %s stays queued: %s", message, error)
                        OutboxMessage.objects.filter(pk=message.pk).update(
                            attempts=F("attempts") + 1, last_error=str(error)[:2000]
                        )
                        OutboxMessage.objects.filter(pk__in=[m.pk for m in sent]).update(sent_at=now)
                        return published + len(sent)
                    sent.append(message)
                OutboxMessage.objects.filter(pk__in=[m.pk for m in sent]).update(sent_at=now)
                published += len(sent)
                if len(batch) < RELAY_BATCH_SIZE:
                    return published


def outbox_purge(*, now: datetime, keep_days: int = KEEP_SENT_DAYS) -> int:
    """Delete messages sent more than ``keep_days`` ago (the unsent ones are never deleted)."""
    count, _ = OutboxMessage.objects.filter(sent_at__lt=now - timedelta(days=keep_days)).delete()
    return count


# Broker connections kept per process (the key holds the process id, so a forked child never uses its
# parent's socket, and the broker URL, so a process pointed at another broker opens a new one). A relay
# takes one, publishes its batches on it and gives it back; Kombu keeps the queues declared on a connection,
# so the queue is declared once per connection, not once per relay. A connection a publish failed on is
# closed, never given back.
_IDLE: dict[tuple[int, str], list] = {}
_IDLE_LOCK = threading.Lock()
KEEP_IDLE = 4


def forget_connections() -> None:
    """Close the kept connections (the next relay opens a new one)."""
    with _IDLE_LOCK:
        kept = [connection for connections in _IDLE.values() for connection in connections]
        _IDLE.clear()
    for connection in kept:
        _close(connection)


def _close(connection) -> None:
    try:
        connection.release()
    except Exception:  # already broken: nothing more to free
        logger.debug("Outbox: closing a broken broker connection failed", exc_info=True)


class _Publisher:
    """One broker connection for a relay run: a kept one of this process, or opened on first use with a
    single short attempt."""

    def __init__(self):
        from aftersales.celery import app

        self.app = app
        self.key = (os.getpid(), str(app.conf.broker_url))
        self.connection = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.connection is None:
            return
        with _IDLE_LOCK:
            idle = _IDLE.setdefault(self.key, [])
            if len(idle) < KEEP_IDLE:
                idle.append(self.connection)
                self.connection = None
        if self.connection is not None:
            _close(self.connection)

    def _kept(self):
        with _IDLE_LOCK:
            idle = _IDLE.get(self.key)
            return idle.pop() if idle else None

    def _open(self):
        connection = self.app.connection_for_write(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            transport_options={**(self.app.conf.broker_transport_options or {}), "max_retries": 0},
        )
        connection.ensure_connection(max_retries=0)
        return connection

    def publish(self, message: OutboxMessage) -> None:
        task = self.app.tasks.get(message.task)
        if task is None:
            # Services name tasks instead of importing them; the apps' task modules load on first need.
            self.app.loader.import_default_modules()
            task = self.app.tasks.get(message.task)
        if self.app.conf.task_always_eager and task is not None:
            task.apply_async(args=message.args, kwargs=message.kwargs)
            return
        if self.connection is None:
            kept = self._kept()
            if kept is not None:
                try:
                    self._send(task, message, kept)
                    self.connection = kept
                    return
                except Exception as error:
                    # The broker went away (or restarted) since the connection was kept: one new attempt.
                    logger.info("Outbox: kept broker connection failed, opening a new one: %s", error)
                    _close(kept)
            self.connection = self._open()
        try:
            self._send(task, message, self.connection)
        except Exception:
            connection, self.connection = self.connection, None
            _close(connection)
            raise

    def _send(self, task, message: OutboxMessage, connection) -> None:
        if task is not None:
            task.apply_async(args=message.args, kwargs=message.kwargs, connection=connection, retry=False)
        else:
            self.app.send_task(
                message.task, args=message.args, kwargs=message.kwargs, connection=connection, retry=False
            )
