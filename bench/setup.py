"""Shared set-up for benchmarks: a separate database (``BENCH_DATABASE``, default ``aftersales_bench``) on the
configured PostgreSQL."""

from __future__ import annotations

import os
import statistics
import time
import warnings


def django_setup() -> None:
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise, when collectstatic has not run
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings.test")
    from django.conf import settings

    settings.DATABASES  # noqa: B018 - loads the settings (and starts embedded servers when unconfigured)
    settings.DATABASES["default"]["NAME"] = os.environ.get("BENCH_DATABASE", "aftersales_bench")
    settings.DATABASES["default"]["ATOMIC_REQUESTS"] = True
    _create_database(settings.DATABASES["default"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_database(db: dict) -> None:
    import psycopg2

    connection = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
    connection.close()


def timed(label: str, calls: int, call) -> list[float]:
    """Run ``call(i)`` ``calls`` times; print median / p99 / max in milliseconds."""
    durations = []
    for index in range(calls):
        started = time.perf_counter()
        call(index)
        durations.append((time.perf_counter() - started) * 1000)
    durations = sorted(durations)
    p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
    print(
        f"{label:<40} calls={calls:<6} median={statistics.median(durations):7.2f} ms  "
        f"p99={p99:7.2f} ms  max={durations[-1]:7.2f} ms",
        flush=True,
    )
    return durations
