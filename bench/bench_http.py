"""HTTP figures from the real application server: gunicorn (``BENCH_WEB_WORKERS``, default 3) and a Celery
worker on the benchmark database, under a load generator on 127.0.0.1 (threads, one connection per request,
as gunicorn's sync workers close them) at 10 and 50 concurrent clients (``BENCH_CLIENTS``).

Each figure stands beside its floor measured in the same run at the same concurrency, in alternating rounds
with it (``BENCH_HTTP_ROUNDS``, 10: floor, figure, floor, …, so that a drift of the machine's speed moves both):
for the API, a DRF view answering a constant behind the same token authentication (``/bench/constant/``,
routed only with ``AFTERSALES_BENCH_URLS``); for the case queue page, the same page with no rows
(``/bench/queue-empty/``). The floors are also printed on their own, measured once at the start.
Prints p50 / p99, throughput and errors per figure and the peak resident memory of the web workers and the
Celery worker. Uses the data ``manage.py generate_data`` wrote into ``BENCH_DATABASE`` (generates it first
when missing, sized by ``BENCH_UNITS`` / ``BENCH_TICKETS`` / ``BENCH_DEALERS`` / ``BENCH_CLAIMS``).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import record, summary
from bench.setup import django_setup

BASE_DIR = Path(__file__).resolve().parent.parent
CLIENTS = [int(n) for n in os.environ.get("BENCH_CLIENTS", "10,50").split(",")]
REQUESTS = int(os.environ.get("BENCH_HTTP_REQUESTS", "300"))  # per figure and concurrency
WORKERS = os.environ.get("BENCH_WEB_WORKERS", "3")
TARGETS = {"list": (4, 6), "queue": (4, 6), "create": (4, None)}
ROUNDS = int(os.environ.get("BENCH_HTTP_ROUNDS", "10"))  # alternating rounds of a figure and its floor
EARLIER = "2020-06-01T10:00:00+08:00"  # the report time of the cases the benchmark opens


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Memory(threading.Thread):
    """Samples the resident memory of the server's processes (peak per process) until stopped."""

    def __init__(self, processes: dict[str, int]):
        super().__init__(daemon=True)
        self.processes, self.peaks, self.stop = processes, {}, threading.Event()

    def run(self):
        import psutil

        while not self.stop.wait(0.2):
            for name, pid in self.processes.items():
                try:
                    root = psutil.Process(pid)
                    family = [root, *root.children(recursive=True)]
                except psutil.NoSuchProcess:
                    continue
                for member in family:
                    try:
                        rss = member.memory_info().rss / 2**20
                    except psutil.NoSuchProcess:
                        continue
                    key = (name, member.pid)
                    self.peaks[key] = max(self.peaks.get(key, 0), rss)


def request(port: int, method: str, path: str, headers: dict, body: bytes | None) -> tuple[float, int]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        connection.close()
    return (time.perf_counter() - started) * 1000, status


def fetch_json(port: int, path: str, headers: dict):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def deep_page(port: int, headers: dict, page: int) -> str:
    """A page deep in the ticket list: ``page=N`` under page numbers; under cursor pagination the cursor
    reached by following ``next`` (at most 20 hops: a cursor is as cheap at any depth when the list is keyed)."""
    status, body = fetch_json(port, "/api/v1/tickets/?page_size=50", headers)
    if status != 200 or "cursor=" not in str(body.get("next") or ""):
        return f"/api/v1/tickets/?page_size=50&page={page}"
    path = ""
    for _hop in range(min(page, 20)):
        following = body.get("next")
        if not following:
            break
        path = following[following.index("/api/") :]
        status, body = fetch_json(port, path, headers)
    return path or "/api/v1/tickets/?page_size=50"


def load(port: int, clients: int, make, total: int, ok=(200, 201)) -> dict:
    """``total`` requests from ``clients`` threads; ``make(i)`` gives (method, path, headers, body)."""
    durations, errors, lock = [], [0], threading.Lock()
    counter = iter(range(total))

    def client():
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            method, path, headers, body = make(index)
            elapsed, status = request(port, method, path, headers, body)
            with lock:
                durations.append(elapsed)
                if status not in ok:
                    errors[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        **summary(durations),
        "rps": len(durations) / wall,
        "errors": errors[0],
        "requests": len(durations),
        "durations": durations,
        "wall": wall,
    }


def interleaved(port: int, clients: int, make, floor_make, total: int) -> tuple[dict, dict]:
    """The figure and its floor in ``ROUNDS`` alternating rounds of ``total / ROUNDS`` requests each (floor,
    figure, floor, figure, …): a machine whose speed drifts during the run (a shared host, another process)
    moves both alike, where a floor measured once before every figure would be compared with figures taken
    minutes later. Each is summed over its rounds."""
    size = max(1, total // ROUNDS)
    runs: dict[str, list[dict]] = {"figure": [], "floor": []}
    for round_ in range(ROUNDS):
        offset = round_ * size
        runs["floor"].append(load(port, clients, lambda i, offset=offset: floor_make(offset + i), size))
        runs["figure"].append(load(port, clients, lambda i, offset=offset: make(offset + i), size))

    def combined(parts: list[dict]) -> dict:
        durations = [d for part in parts for d in part["durations"]]
        return {
            **summary(durations),
            "rps": len(durations) / sum(part["wall"] for part in parts),
            "errors": sum(part["errors"] for part in parts),
            "requests": len(durations),
        }

    return combined(runs["figure"]), combined(runs["floor"])


def ensure_data() -> None:
    from django.core.management import call_command

    from tickets.models import Ticket

    if Ticket.objects.filter(number__startswith="GT").exists():
        return
    call_command(
        "generate_data",
        units=int(os.environ.get("BENCH_UNITS", 20_000)),
        tickets=int(os.environ.get("BENCH_TICKETS", 10_000)),
        dealers=int(os.environ.get("BENCH_DEALERS", 50)),
        claims=int(os.environ.get("BENCH_CLAIMS", 2_000)),
        seed=1,
    )


def credentials():
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from aftersales.demo import seed_users
    from aftersales.models import User

    seed_users()
    desk = User.objects.get(username="desk")
    token, _created = Token.objects.get_or_create(user=desk)
    session = SessionStore()
    session[SESSION_KEY] = str(desk.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = desk.get_session_auth_hash()
    session.create()
    return token.key, session.session_key


def start_server(port: int) -> tuple[subprocess.Popen, subprocess.Popen]:
    from django.conf import settings

    from aftersales import embedded

    # The configured server (or the embedded one), the benchmark's database on it.
    url = urlsplit(os.environ.get("DATABASE_URL") or embedded.postgres_url())
    url = urlunsplit(url._replace(path="/" + settings.DATABASES["default"]["NAME"]))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aftersales.settings.base",
        "DJANGO_DEBUG": "false",
        # The bench process's own key: the session it created for the queue page is valid on the server.
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "AFTERSALES_BENCH_URLS": "true",
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BEAT_SCHEDULE_FILENAME": os.devnull,
    }
    env.pop("BENCH_RESULTS", None)
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "aftersales.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", WORKERS, "--backlog", "2048", "--timeout", "120"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "aftersales", "worker", "-l", "WARNING", "--concurrency", "1"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return web, worker


def main() -> None:
    django_setup()
    ensure_data()
    from django.utils import timezone

    from tickets.models import Ticket
    from warranty.models import Unit

    token, session = credentials()
    serials = list(Unit.objects.filter(serial__startswith="GU").order_by("?").values_list("serial", flat=True)[:2000])
    tickets = Ticket.objects.filter(number__startswith="GT").count()
    deep = max(1, tickets // 50 // 2)
    today = timezone.localdate().isoformat()
    port = free_port()
    web, worker = start_server(port)
    api = {"Authorization": f"Token {token}", "Accept": "application/json"}
    post = {**api, "Content-Type": "application/json"}
    page = {"Cookie": f"sessionid={session}", "Accept-Language": "zh-hans"}
    rng = random.Random(11)
    try:
        deadline = time.monotonic() + 60
        while request(port, "GET", "/bench/constant/", api, None)[1] != 200:
            if web.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.5)
        memory = Memory({"web": web.pid, "worker": worker.pid})
        memory.start()

        def get(path, headers=api):
            return lambda i: ("GET", path, headers, None)

        def ticket_body(i):
            body = {
                "channel": "phone",
                "reporter_name": "压测",
                # Reports taken long before the generated cases: the cases the benchmark opens sort after
                # them, so that run after run they do not pile up on the lists' first pages it measures.
                "reported_at": EARLIER,
                "description": "bench",
                "severity": rng.choice(["critical", "major", "minor"]),
                "unit": serials[i % len(serials)],
            }
            return ("POST", "/api/v1/tickets/", post, json.dumps(body).encode())

        def entitlement(i):
            body = {
                "unit": serials[i % len(serials)],
                "claim_date": today,
                "usage": 20000,
                "fault": {"problem_code": "E101", "still_unusable": True},
            }
            return ("POST", "/api/v1/entitlement/evaluate/", post, json.dumps(body).encode())

        floor_get = get("/bench/constant/")
        floor_post = lambda i: ("POST", "/bench/constant/", post, b"{}")  # noqa: E731
        floor_page = get("/bench/queue-empty/", page)
        filters = (
            "/api/v1/tickets/?page_size=50&status=assigned&status=in_progress&severity=major"
            "&province=%E5%8C%97%E4%BA%AC"
        )

        def coverage(i):
            return ("GET", f"/api/v1/units/{serials[i % len(serials)]}/coverage/?usage=20000", api, None)

        figures = [
            ("GET unit coverage", coverage, "get", None),
            ("POST entitlement/evaluate", entitlement, "post", None),
            ("POST /api/v1/tickets/ (create)", ticket_body, "post", "create"),
            ("GET /api/v1/tickets/?page_size=50", get("/api/v1/tickets/?page_size=50"), "get", "list"),
            ("GET /api/v1/tickets/ with 3 filters", get(filters), "get", "list"),
            (f"GET /api/v1/tickets/ page {deep}", get(deep_page(port, api, deep)), "get", "list"),
            ("GET /cases/ (queue page)", get("/cases/", page), "page", "queue"),
        ]
        for clients in CLIENTS:
            for _warm in range(3):
                request(port, "GET", "/bench/constant/", api, None)
            floors = {
                "get": load(port, clients, floor_get, REQUESTS),
                "post": load(port, clients, floor_post, REQUESTS),
                "page": load(port, clients, floor_page, REQUESTS),
            }
            for kind, name in (("get", "GET floor"), ("post", "POST floor"), ("page", "queue page floor")):
                figure = floors[kind]
                record(
                    f"{name} ({clients} clients)",
                    figure["p50"],
                    note="constant view" if kind != "page" else "the queue page with no rows",
                    p99=round(figure["p99"], 2),
                    rps=round(figure["rps"], 1),
                    errors=figure["errors"],
                    requests=figure["requests"],
                    clients=clients,
                )
                print(f"{name:<42} clients={clients:<3} p50={figure['p50']:8.1f} ms  p99={figure['p99']:8.1f} ms  "
                      f"{figure['rps']:7.1f} req/s  errors={figure['errors']}", flush=True)  # fmt: skip
            for name, make, floor_kind, target in figures:
                make(0)
                for warm in range(2):
                    method, path, headers, body = make(warm)
                    request(port, method, path, headers, body)
                floor_make = {"get": floor_get, "post": floor_post, "page": floor_page}[floor_kind]
                figure, floor = interleaved(port, clients, make, floor_make, REQUESTS)
                p50_target, p99_target = TARGETS.get(target, (None, None))
                ratio_p99 = figure["p99"] / floor["p99"] if floor["p99"] else None
                record(
                    f"{name} ({clients} clients)",
                    figure["p50"],
                    floor=floor["p50"],
                    target=p50_target,
                    note=f"floor measured in {ROUNDS} rounds alternating with the figure's",
                    p99=round(figure["p99"], 2),
                    floor_p99=round(floor["p99"], 2),
                    ratio_p99=None if ratio_p99 is None else round(ratio_p99, 2),
                    target_p99=p99_target,
                    rps=round(figure["rps"], 1),
                    errors=figure["errors"],
                    requests=figure["requests"],
                    clients=clients,
                )
                print(
                    f"{name:<42} clients={clients:<3} p50={figure['p50']:8.1f} ms  p99={figure['p99']:8.1f} ms  "
                    f"{figure['rps']:7.1f} req/s  errors={figure['errors']}  "
                    f"p50/floor={figure['p50'] / floor['p50']:6.1f}×  p99/floor={ratio_p99 or 0:6.1f}×",
                    flush=True,
                )
        memory.stop.set()
        memory.join()
        for name in ("web", "worker"):
            peaks = [rss for (kind, _pid), rss in memory.peaks.items() if kind == name]
            if peaks:
                record(
                    f"peak RSS, {name} processes",
                    max(peaks),
                    unit="MB",
                    note=f"largest of {len(peaks)} processes; all together {sum(peaks):.0f} MB",
                )
                print(f"peak RSS of the {name} processes: {max(peaks):.0f} MB (largest of {len(peaks)})", flush=True)
    finally:
        for process in (web, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
