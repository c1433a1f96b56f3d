"""Escalation sweep time with 1,000 due steps among 10,000, 100,000 and 1,000,000 open cases.

Builds the cases with one running timer each (set-based SQL, in the ``aftersales_bench`` database), makes
1,000 of them have exactly one ladder step due, times one sweep, and resets those 1,000 for the next size.
BENCH_SWEEP_SIZES (comma-separated) changes the sizes. The three figures should be close: the sweep reads
due timers through a partial index, so the number of open cases does not matter.
"""

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import peak_rss_mb, record
from bench.setup import django_setup

SIZES = [int(size) for size in os.environ.get("BENCH_SWEEP_SIZES", "10000,100000,1000000").split(",")]
DUE = 1000


def grow_to(size: int, now) -> None:
    from django.db import connection

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
        cursor.execute("ANALYZE tickets_ticket; ANALYZE tickets_timer;")


def make_due(now) -> list[int]:
    """1,000 timers started 9 minutes ago with a 10-minute target: only the 75 % step (8 min) is due."""
    from tickets.models import Escalation, Notification, Timer

    ids = list(
        Timer.objects.filter(ticket__number__startswith="BENCH").order_by("id").values_list("id", flat=True)[:DUE]
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
    return ids


def floor_ms(ids: list[int], now) -> float:
    """The single-statement floor: one INSERT … SELECT of the same 1,000 escalations (rolled back)."""
    from django.db import connection, transaction

    from tickets.models import EscalationStep

    step = EscalationStep.objects.order_by("order").values_list("pk", flat=True).first()
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tickets_escalation (timer_id, step_id, due_at, fired_at) "
                "SELECT id, %s, next_action_at, %s FROM tickets_timer WHERE id = ANY(%s)",
                [step, now, ids],
            )
        elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return elapsed


def main() -> None:
    django_setup()
    from django.utils import timezone

    from aftersales.demo import seed_users
    from tickets.services.escalation import sla_sweep

    seed_users()
    now = timezone.now()
    times = []
    for size in SIZES:
        started = time.perf_counter()
        grow_to(size, now)
        built = time.perf_counter() - started
        ids = make_due(now)
        floors = sorted(floor_ms(ids, now) for _ in range(3))
        make_due(now)
        started = time.perf_counter()
        result = sla_sweep(now=now)
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        record(
            f"sweep, 1,000 due steps, {size:,} open",
            elapsed * 1000,
            floor=floors[1],
            target=10,
            note=f"{result.fired} fired; floor: one INSERT … SELECT of the same rows",
        )
        print(
            f"open cases={size:>9,}  due steps fired={result.fired:>5}  sweep {elapsed:6.2f} s  "
            f"({elapsed / max(result.fired, 1) * 1000:.2f} ms per step; data ready in {built:.0f} s)",
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


if __name__ == "__main__":
    main()
    record("peak RSS, sweep", peak_rss_mb(), unit="MB", note="the process running the sweep as a worker would")
