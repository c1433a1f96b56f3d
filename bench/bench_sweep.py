"""Escalation sweep time with 1,000 due steps among 10,000, 100,000 and 1,000,000 open cases.

Builds the cases with one running timer each (set-based SQL, in the ``aftersales_bench`` database), makes
1,000 of them have exactly one ladder step due, times one sweep, and resets those 1,000 for the next size.
BENCH_SWEEP_SIZES (comma-separated) changes the sizes. The figures should be close: the sweep reads due
timers through a partial index, so the number of open cases does not matter.

Measured the way a worker runs it: one warm-up sweep first (a worker has loaded its task modules and
translation catalogues before its second sweep), and the touched tables vacuumed after the 1,000 timers are
made due again (each round rewrites the same rows; without it the dead versions of earlier rounds, which
autovacuum would clear in production, slow the sweep and the floor alike). The floor is one INSERT … SELECT
of the same 1,000 escalations with its foreign keys checked in the statement (``SET CONSTRAINTS ALL
IMMEDIATE``), then rolled back: rolled back with the checks deferred, as before, it skipped them, while the
sweep pays them at its commit. The floor with deferred checks is printed beside it.

The database only grows (the sizes are ascending); one left with more cases than the smallest size by an
earlier run is dropped and built again first, so each size is timed at its own count of open cases.

Memory: the sweep process's peak resident memory during each sweep (the kernel's high-water mark is reset
before it, ``/proc/self/clear_refs``), so a peak that grew with the open cases would show. BENCH_SWEEP_BACKLOG
(default 0: off) adds a catch-up sweep of that many due steps at the largest size, with its own peak, to show
that memory stays flat across a backlog. BENCH_SWEEP_BATCH sets the sweep's batch size (default: the
product's).
"""

import contextlib
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import peak_rss_mb, record
from bench.setup import django_setup

SIZES = [int(size) for size in os.environ.get("BENCH_SWEEP_SIZES", "10000,100000,1000000").split(",")]
DUE = 1000
BACKLOG = int(os.environ.get("BENCH_SWEEP_BACKLOG", "0"))
BATCH = int(os.environ["BENCH_SWEEP_BATCH"]) if os.environ.get("BENCH_SWEEP_BATCH") else None
REPEAT = int(os.environ.get("BENCH_SWEEP_REPEAT", "5"))
TOUCHED = "tickets_timer, tickets_ticket, tickets_escalation, tickets_notification, tickets_ticketevent"


def grow_to(size: int, now) -> None:
    from django.db import DatabaseError, connection

    from aftersales.models import User
    from tickets.models import SLAMetric, SLAPolicy, Ticket

    have = Ticket.objects.filter(number__startswith="BENCH").count()
    if have >= size:
        return
    policy = SLAPolicy.objects.get(is_default=True)
    severity = policy.severities.get(code="critical")
    metric = SLAMetric.objects.get(code="first_response")
    desk = User.objects.get(username="desk")
    far = now + timedelta(days=3650)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (number, channel, status, work_mode, reporter_name, contact_phone,
                sla_policy_id, severity_id, category, description, coverage_snapshot, reported_at, created_at,
                created_by_id, version, chargeable, emergency_plan)
            SELECT 'BENCH-' || lpad(n::text, 8, '0'), 'phone', 'assigned', '', 'bench', '', %s, %s, '', 'bench',
                   '{}', %s, %s, %s, 1, false, ''
            FROM generate_series(%s, %s) AS n
            """,
            [policy.pk, severity.pk, now, now, desk.pk, have + 1, size],
        )
        # Every case's timer has its next step far away; only the chosen 1,000 are made due below.
        cursor.execute(
            """
            INSERT INTO tickets_timer (ticket_id, metric_id, target_minutes, started_at, due_at, state,
                                       next_action_at)
            SELECT t.id, %s, 10, %s, %s, 'running', %s FROM tickets_ticket t
            WHERE t.number LIKE 'BENCH-%%' AND NOT EXISTS (SELECT 1 FROM tickets_timer x WHERE x.ticket_id = t.id)
            """,
            [metric.pk, far, far, far],
        )
        cursor.execute("VACUUM ANALYZE tickets_ticket, tickets_timer")
        # The load's dirty pages written out now rather than during the timed rounds (needs a superuser).
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")


def start_small(smallest: int) -> None:
    """A database left by an earlier run with more cases than the smallest size would time every size at
    that count: it is dropped and built again (it holds nothing but this benchmark's cases)."""
    import psycopg2
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.setup import _create_database
    from tickets.models import Ticket

    have = Ticket.objects.filter(number__startswith="BENCH").count()
    if have <= smallest:
        return
    db = settings.DATABASES["default"]
    print(f"{db['NAME']} holds {have:,} cases, more than {smallest:,}: dropped and built again", flush=True)
    connection.close()
    admin = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE "{db["NAME"]}"')
    admin.close()
    _create_database(db)
    call_command("migrate", verbosity=0)


def open_cases() -> int:
    from tickets.models import Ticket

    return Ticket.objects.filter(number__startswith="BENCH").count()


def make_due(now, count: int = DUE) -> list[int]:
    """``count`` timers started 9 minutes ago with a 10-minute target: only the 75 % step (8 min) is due."""
    from django.db import connection

    from tickets.models import Escalation, Notification, Timer

    ids = list(
        Timer.objects.filter(ticket__number__startswith="BENCH").order_by("id").values_list("id", flat=True)[:count]
    )
    started = now - timedelta(minutes=9)
    Notification.objects.filter(escalation__timer_id__in=ids).delete()
    Escalation.objects.filter(timer_id__in=ids).delete()
    Timer.objects.filter(id__in=ids).update(
        started_at=started,
        due_at=started + timedelta(minutes=10),
        state="running",
        next_action_at=started + timedelta(minutes=8),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {TOUCHED}")
    return ids


def park(now, count: int) -> None:
    """Put the first ``count`` timers back as ``grow_to`` made them: next step far away, nothing fired."""
    from tickets.models import Escalation, Notification, Timer

    ids = list(
        Timer.objects.filter(ticket__number__startswith="BENCH").order_by("id").values_list("id", flat=True)[:count]
    )
    far = now + timedelta(days=3650)
    Notification.objects.filter(escalation__timer_id__in=ids).delete()
    Escalation.objects.filter(timer_id__in=ids).delete()
    Timer.objects.filter(id__in=ids).update(started_at=far, due_at=far, state="running", next_action_at=far)


def floor_ms(ids: list[int], now, *, immediate: bool = True) -> float:
    """The single-statement floor: one INSERT … SELECT of the same 1,000 escalations (rolled back), its
    foreign keys checked in the statement unless ``immediate`` is off."""
    from django.db import connection, transaction

    from tickets.models import EscalationStep

    step = EscalationStep.objects.order_by("order").values_list("pk", flat=True).first()
    with transaction.atomic():
        with connection.cursor() as cursor:
            if immediate:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            started = time.perf_counter()
            cursor.execute(
                "INSERT INTO tickets_escalation (timer_id, step_id, due_at, fired_at) "
                "SELECT id, %s, next_action_at, %s FROM tickets_timer WHERE id = ANY(%s)",
                [step, now, ids],
            )
            elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return elapsed


def reset_peak() -> bool:
    """Reset the kernel's high-water mark of this process's resident memory (Linux); False if it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def memory_mb() -> tuple[float, float]:
    """(resident now, peak since the last reset) in MB, from /proc/self/status."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, amount, _unit = line.split()
                values[name] = int(amount) / 1024
    return values["VmRSS:"], values["VmHWM:"]


def timed_sweep(now, sla_sweep):
    reset_peak()
    before, _peak = memory_mb()
    started = time.perf_counter()
    result = sla_sweep(now=now) if BATCH is None else sla_sweep(now=now, batch_size=BATCH)
    elapsed = time.perf_counter() - started
    _rss, peak = memory_mb()
    return result, elapsed, before, peak


def main() -> None:
    django_setup()
    from django.utils import timezone

    from aftersales.demo import seed_users
    from tickets.services.escalation import sla_sweep

    start_small(SIZES[0])
    seed_users()
    now = timezone.now()
    grow_to(SIZES[0], now)
    make_due(now)
    warm = time.perf_counter()
    sla_sweep(now=now)
    print(f"warm-up sweep (a worker's first): {time.perf_counter() - warm:.2f} s", flush=True)
    times, peaks = [], []
    for size in SIZES:
        started = time.perf_counter()
        grow_to(size, now)
        built = time.perf_counter() - started
        assert open_cases() == size, (open_cases(), size)  # sizes ascending, from a database this small
        runs, floor_runs, deferred_runs, peak = [], [], [], 0.0
        for _round in range(REPEAT):
            ids = make_due(now)
            floor_runs.append(floor_ms(ids, now))
            deferred_runs.append(floor_ms(ids, now, immediate=False))
            make_due(now)
            result, seconds, before, round_peak = timed_sweep(now, sla_sweep)
            runs.append(seconds)
            peak = max(peak, round_peak)
        elapsed = statistics.median(runs)
        floors = [None, statistics.median(floor_runs)]
        deferred = [None, statistics.median(deferred_runs)]
        times.append(elapsed)
        peaks.append(peak)
        record(
            f"sweep, 1,000 due steps, {size:,} open",
            elapsed * 1000,
            floor=floors[1],
            target=10,
            note=f"{result.fired} fired; medians of {REPEAT} rounds; floor: one INSERT … SELECT of the same rows, "
            f"foreign keys checked ({deferred[1]:.1f} ms with them deferred and rolled back unchecked); "
            f"sweeps {', '.join(f'{run * 1000:.0f}' for run in runs)} ms",
        )
        record(
            f"peak RSS during the sweep, {size:,} open",
            peak,
            unit="MB",
            note=f"{before:.0f} MB resident before the sweep (grew {peak - before:.1f} MB)",
        )
        print(
            f"open cases={size:>9,}  due steps fired={result.fired:>5}  sweep {elapsed * 1000:7.1f} ms  "
            f"floor {floors[1]:5.1f} ms (deferred checks {deferred[1]:5.1f} ms)  "
            f"ratio {elapsed * 1000 / floors[1]:5.1f}×  "
            f"peak RSS {peak:.0f} MB (+{peak - before:.1f} MB; data ready in {built:.0f} s)",
            flush=True,
        )
    if len(times) > 1:
        record(
            f"sweep flatness, {SIZES[-1]:,} vs {SIZES[0]:,} open",
            times[-1] * 1000,
            floor=times[0] * 1000,
            target=1.5,
            note="the same 1,000 steps at the largest size against the smallest",
        )
        print(f"flatness {SIZES[-1]:,} vs {SIZES[0]:,}: {times[-1] / times[0]:.2f}×", flush=True)
    if BACKLOG:
        make_due(now, BACKLOG)
        result, elapsed, before, peak = timed_sweep(now, sla_sweep)
        record(
            f"peak RSS during a {BACKLOG:,}-step catch-up, {SIZES[-1]:,} open",
            peak,
            floor=peaks[-1],
            unit="MB",
            note=f"{result.fired} fired in {elapsed:.1f} s; {before:.0f} MB resident before it (grew "
            f"{peak - before:.1f} MB); floor: the 1,000-step sweep's peak at the same size",
        )
        print(
            f"backlog: {result.fired:,} steps fired in {elapsed:.1f} s "
            f"({elapsed / max(result.fired, 1) * 1e6:.0f} µs per step), peak RSS {peak:.0f} MB, "
            f"+{peak - before:.1f} MB during the sweep (1,000-step sweep: {peaks[-1]:.0f} MB)",
            flush=True,
        )
        park(now, BACKLOG)  # the next run starts from the same state


if __name__ == "__main__":
    main()
    record("peak RSS, sweep", peak_rss_mb(), unit="MB", note="the whole benchmark process (data set-up included)")
