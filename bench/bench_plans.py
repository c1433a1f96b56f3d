"""The query plans of the real list requests on the generated data, written to ``bench/plans/<scale>-<name>.txt``.

Signs in as the desk user, an engineer with cases, the user of a small dealer (the generated dealer serving the
fewest cases; a ``bench_dealer`` member is added to it once) and the service manager; issues each request
through ``django.test.Client`` under ``CaptureQueriesContext`` — the API ticket list (first page, three filters,
a cursor page half-way down), the queue page ``/cases/``, my cases, the dashboard's SLA page — then runs
``EXPLAIN (ANALYZE, BUFFERS)`` of every statement the request sent that reads the cases, timers, units or sites.
The plans follow the code: whatever SQL the views send today is what gets explained.

Each plan is checked for a sequential scan of ``tickets_ticket``, ``tickets_timer`` or ``warranty_unit``, a
sort (or a hash) spilling to disk, and an execution longer than ``BENCH_PLAN_MS`` (default 100 ms); the findings are
printed, recorded in the suite's results (``bad`` per request) and noted at the top of each file. The scale
in the file names is ``BENCH_SCALE`` (set by the suite), else taken from the number of cases.
"""

from __future__ import annotations

import base64
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import record
from bench.setup import django_setup

PLANS = Path(__file__).resolve().parent / "plans"
SLOW_MS = float(os.environ.get("BENCH_PLAN_MS", "100"))
TIMEOUT_MS = int(os.environ.get("BENCH_PLAN_TIMEOUT_MS", "120000"))
WATCHED = ("tickets_ticket", "tickets_timer", "warranty_unit")
EXPLAINED = re.compile(r'"(tickets_ticket|tickets_timer|warranty_unit|warranty_site)"')
FILTERS = "status=assigned&status=in_progress&severity=major&province=%E5%8C%97%E4%BA%AC"


def scale_name(cases: int) -> str:
    if os.environ.get("BENCH_SCALE"):
        return os.environ["BENCH_SCALE"]
    for limit, name in ((5_000_000, "10m"), (500_000, "1m"), (50_000, "100k")):
        if cases >= limit:
            return name
    return "small"


def users():
    """desk, an engineer with open cases, a small dealer's member, the service manager."""
    from django.contrib.auth.models import Group
    from django.db.models import Count

    from aftersales.demo import seed_users
    from aftersales.models import User
    from aftersales.roles import Role
    from dealers.models import Dealer, DealerMember
    from tickets.models import Ticket

    seed_users()
    desk = User.objects.get(username="desk")
    manager = User.objects.get(username="svcmgr")
    engineer = User.objects.get(
        pk=Ticket.objects.filter(number__startswith="GT", status="in_progress")
        .order_by("number")
        .values_list("assigned_engineer", flat=True)[:1]
        .get()
    )
    member = DealerMember.objects.filter(user__username="bench_dealer").select_related("user", "dealer").first()
    if member is None:
        # The generated dealer serving the fewest cases (ties: the first code).
        dealer_id = (
            Ticket.objects.filter(number__startswith="GT", serving_outlet__isnull=False)
            .values("serving_outlet")
            .annotate(n=Count("id"))
            .order_by("n", "serving_outlet")
            .values_list("serving_outlet", flat=True)[:1]
            .get()
        )
        user = User.objects.create(username="bench_dealer", password="!", first_name="bench")
        user.groups.add(Group.objects.get(name=Role.DEALER_STAFF))
        member = DealerMember.objects.create(user=user, dealer=Dealer.objects.get(pk=dealer_id))
    return desk, engineer, member, manager


def half_way_cursor(client) -> str:
    """A cursor half-way down the desk's list: the ``next`` link's cursor with its position moved to the case in
    the middle of the list's order; when the cursor is not a plain position, the page 20 ``next`` hops down."""
    from tickets.models import Ticket

    first = client.get("/api/v1/tickets/?page_size=50")
    following = (first.json() or {}).get("next") or ""
    if "cursor=" not in following:
        return "/api/v1/tickets/?page_size=50&page=" + str(max(1, Ticket.objects.count() // 100))
    query = dict(parse_qsl(urlsplit(following).query))
    token = query["cursor"]
    decoded = dict(parse_qsl(base64.b64decode(token + "=" * (-len(token) % 4)).decode()))
    position = decoded.get("p", "")
    if re.fullmatch(r"\d{4}-\d\d-\d\d[ T][\d:.]+\+00:00", position):
        middle = Ticket.objects.order_by("-reported_at", "-id").values_list("reported_at", flat=True)
        decoded["p"] = str(middle[Ticket.objects.count() // 2])
        query["cursor"] = base64.b64encode(urlencode(decoded).encode()).decode()
        return "/api/v1/tickets/?" + urlencode(query)
    path = following[following.index("/api/") :]
    for _hop in range(19):
        following = (client.get(path).json() or {}).get("next")
        if not following:
            break
        path = following[following.index("/api/") :]
    return path


def explain(sql: str) -> tuple[str, float]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL statement_timeout = {TIMEOUT_MS}")
        try:
            cursor.execute("SAVEPOINT bench_plan")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            lines = [row[0] for row in cursor.fetchall()]
            cursor.execute("RELEASE SAVEPOINT bench_plan")
        except Exception as error:  # a statement timing out is a finding, not the end of the run
            cursor.execute("ROLLBACK TO SAVEPOINT bench_plan")
            return f"(not explained: {str(error).strip()})", float(TIMEOUT_MS)
    text = "\n".join(lines)
    found = re.search(r"Execution Time: ([\d.]+) ms", text)
    return text, float(found.group(1)) if found else 0.0


def findings(plan: str, ms: float) -> list[str]:
    bad = [f"Seq Scan on {table}" for table in WATCHED if re.search(rf"Seq Scan on {table}\b", plan)]
    if re.search(r"Sort Method: external|Disk: \d+kB", plan):
        bad.append("sort on disk")
    elif re.search(r"temp (read=\d+ )?written=\d+", plan):
        bad.append("temporary files (a hash or sort spilled to disk)")
    if ms > SLOW_MS:
        bad.append(f"{ms:,.1f} ms > {SLOW_MS:,.0f} ms")
    return bad


NODE = re.compile(r"^\s*(?:->\s*)?(\S.*?)\s+\(cost=")


BIG = re.compile(r" on (tickets_ticket|tickets_timer|warranty_unit|warranty_site|warranty_customer)\b|^Bitmap Index")


def shape(plan: str) -> list[str]:
    """How the plan reaches the big tables — its scan nodes on cases, timers, units, sites and customers, with
    their indexes — without costs, rows or times, nor the joins to small lookup tables (whose method moves
    with the statistics): what "the same plan" means from one scale to the next."""
    nodes = [found.group(1) for found in map(NODE.match, plan.splitlines()) if found]
    return [node.removeprefix("Parallel ") for node in nodes if BIG.search(node)]


def shapes_in(path: Path) -> list[list[str]]:
    """The plan shapes of each statement in a plans file written earlier (by statement number)."""
    text = path.read_text(encoding="utf-8")
    return [shape(part) for part in re.split(r"^-- .*$", text, flags=re.M)[1:]]


def compare(scale: str, name: str, explained) -> str:
    """Whether each statement's plan has the shape it has in this request's files at the other scales."""
    notes = []
    for other in sorted(PLANS.glob(f"*-{name}.txt")):
        other_scale = other.name[: -len(f"-{name}.txt")]
        if other_scale == scale or "-" in other_scale:  # another request whose name ends like this one's
            continue
        theirs = shapes_in(other)
        ours = [shape(plan) for _sql, plan, _ms, _f in explained]
        differing = [str(i) for i, (a, b) in enumerate(zip(ours, theirs, strict=False), 1) if a != b]
        if len(ours) != len(theirs):
            notes.append(f"{other_scale}: {len(theirs)} statements explained there, {len(ours)} here")
        elif differing:
            notes.append(f"{other_scale}: plan shape differs in statement {', '.join(differing)}")
        else:
            notes.append(f"{other_scale}: same plan shapes")
    return "; ".join(notes) or "no other scale's plans to compare"


def capture(client, path: str) -> tuple[int, list[str], float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    return response.status_code, [query["sql"] for query in queries.captured_queries], elapsed


def main() -> None:
    django_setup()
    from django.db import transaction
    from django.test import Client

    from tickets.models import Ticket

    cases = Ticket.objects.count()
    scale = scale_name(cases)
    desk, engineer, member, manager = users()
    clients = {}
    for user in (desk, engineer, member.user, manager):
        clients[user.username] = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        clients[user.username].force_login(user)
    requests = [
        ("api-list-first", desk, "/api/v1/tickets/?page_size=50"),
        ("api-list-filtered", desk, f"/api/v1/tickets/?page_size=50&{FILTERS}"),
        ("api-list-deep-cursor", desk, half_way_cursor(clients["desk"])),
        ("queue", desk, "/cases/"),
        ("my-cases", engineer, "/cases/mine/"),
        ("dealer-api-list-first", member.user, "/api/v1/tickets/?page_size=50"),
        ("dealer-queue", member.user, "/cases/"),
        ("dashboard-sla", manager, "/dashboard/sla/"),
    ]
    PLANS.mkdir(exist_ok=True)
    summary = []
    for name, user, path in requests:
        client = clients[user.username]
        client.get(path)  # warm: caches, the first connection's catalogue reads
        status, statements, elapsed = capture(client, path)
        explained = []
        with transaction.atomic():
            for sql in statements:
                if not sql.lstrip().upper().startswith(("SELECT", "WITH")) or not EXPLAINED.search(sql):
                    continue
                plan, ms = explain(sql)
                explained.append((sql, plan, ms, findings(plan, ms)))
            transaction.set_rollback(True)  # EXPLAIN ANALYZE only reads, but leave nothing behind
        bad = [f"statement {index}: {item}" for index, (_s, _p, _m, found) in enumerate(explained, 1) for item in found]
        versus = compare(scale, name, explained)
        who = user.username + (f" (dealer {member.dealer.code})" if user == member.user else "")
        header = [
            f"# {scale}: GET {path} as {who} -> {status}, {len(statements)} statements in the request",
            f"# {cases:,} cases; EXPLAIN (ANALYZE, BUFFERS) of each case/timer/unit/site statement it issued",
            f"# checked: Seq Scan on {', '.join(WATCHED)}; sort or hash on disk; execution > {SLOW_MS:,.0f} ms: "
            + ("; ".join(bad) if bad else "none found"),
            f"# against the other scales' files: {versus}",
            "",
        ]
        body = [f"-- statement {index}: {sql}\n{plan}\n" for index, (sql, plan, _ms, _f) in enumerate(explained, 1)]
        (PLANS / f"{scale}-{name}.txt").write_text("\n".join(header + body), encoding="utf-8")
        slowest = max((ms for _s, _p, ms, _f in explained), default=0.0)
        print(
            f"{name:<24} {status}  {len(statements):>3} statements, {len(explained)} explained, slowest "
            f"{slowest:8.1f} ms, request {elapsed:8.1f} ms  {'; '.join(bad) if bad else 'ok'}  ({versus})",
            flush=True,
        )
        record(
            f"plans at {scale}: {name}, slowest statement",
            slowest,
            note=f"{path} as {user.username}; " + ("; ".join(bad) if bad else "index plans, no disk sort"),
            status=status,
            statements=len(statements),
            explained=len(explained),
            request_ms=round(elapsed, 1),
            bad=bad,
            versus=versus,
        )
        summary.append((name, bad))
    flagged = [name for name, bad in summary if bad]
    print(f"plans written to {PLANS}/{scale}-*.txt; flagged: {', '.join(flagged) if flagged else 'none'}", flush=True)
    record(f"plans at {scale}: requests with a flagged plan", len(flagged), unit="count", note=", ".join(flagged))


if __name__ == "__main__":
    main()
