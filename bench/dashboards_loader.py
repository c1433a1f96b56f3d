"""Bulk data for the dashboards benchmark, written with COPY: repair cases over two years with their five SLA
timers (outcomes, business minutes, lateness), escalations of late timers, loaners and follow-up surveys.

One module on purpose: the shared generator of the scale work can replace it (``load(cursor, size, now)``
is all the benchmark calls). Rows follow the product's constraints (timer states and stop times, one
pending follow-up, surveys with scores), so the figures are what the product would compute on real data.
Deterministic (fixed seed)."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta

SPAN_DAYS = 730
CHUNK = 50_000
CHANNELS = ["phone", "phone", "phone", "email", "web", "dealer", "walk_in"]
PROVINCES = ["北京", "上海", "广东", "江苏", "浙江", "山东", "四川", "湖北", "河南", "陕西"]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    """COPY ``rows`` (tuples, None for NULL) into ``table`` in chunks; returns the row count."""
    total = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"

    def flush():
        buffer.seek(0)
        cursor.copy_expert(statement, buffer)
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        writer.writerow(["\\N" if value is None else value for value in row])
        total += 1
        if total % CHUNK == 0:
            flush()
    flush()
    return total


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
    return cursor.fetchone()[0]


def _reset_sequence(cursor, table: str) -> None:
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def _master_data(cursor, now: datetime) -> tuple[int, int, int, int]:
    """The outlets, engineers, customers and sites the cases point at; returns their first ids."""
    dealer0 = _next_id(cursor, "dealers_dealer")
    _copy(
        cursor,
        "dealers_dealer",
        ["id", "code", "name", "province", "city", "is_active", "region", "address", "labour_rate", "rating_tier"]
        + ["suspended"],
        (
            (dealer0 + n, f"BD{n:04d}", f"bench dealer {n}", PROVINCES[n % 10], "", "t", "", "", 80, "B", "f")
            for n in range(1000)
        ),
    )
    user0 = _next_id(cursor, "aftersales_user")
    _copy(
        cursor,
        "aftersales_user",
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "language",
            "time_zone",
        ],
        (
            (user0 + n, "!", "f", f"bench_eng{n}", "", "", "", "f", "t", _iso(now), "zh-hans", "Asia/Shanghai")
            for n in range(200)
        ),
    )
    customer0 = _next_id(cursor, "warranty_customer")
    _copy(
        cursor,
        "warranty_customer",
        ["id", "kind", "name", "phone", "email", "created_at"],
        ((customer0 + n, "organisation", f"bench customer {n}", "", "", _iso(now)) for n in range(20_000)),
    )
    site0 = _next_id(cursor, "warranty_site")
    _copy(
        cursor,
        "warranty_site",
        ["id", "customer_id", "name", "address", "province", "city"],
        ((site0 + n, customer0 + n, f"site {n}", "", PROVINCES[n % 10], "") for n in range(20_000)),
    )

    return dealer0, user0, customer0, site0


def load(cursor, *, size: int, now: datetime, desk_id: int) -> dict:
    """Add ``size`` cases (and what hangs off them) reported over the two years before ``now``."""
    rng = random.Random(20260301)
    cursor.execute("SELECT id FROM tickets_slapolicy WHERE is_default AND effective_to IS NULL")
    policy_id = cursor.fetchone()[0]
    cursor.execute("SELECT code, id FROM tickets_severity WHERE policy_id = %s", [policy_id])
    severities = dict(cursor.fetchall())
    cursor.execute("SELECT code, id FROM tickets_slametric")
    metrics = dict(cursor.fetchall())
    cursor.execute(
        "SELECT s.code, m.code, t.minutes FROM tickets_slatarget t JOIN tickets_severity s ON s.id = t.severity_id "
        "JOIN tickets_slametric m ON m.id = t.metric_id WHERE t.policy_id = %s",
        [policy_id],
    )
    targets: dict[str, dict[str, int]] = {}
    for severity, metric, minutes in cursor.fetchall():
        targets.setdefault(severity, {})[metric] = minutes
    cursor.execute(
        'SELECT id, share_percent FROM tickets_escalationstep WHERE policy_id = %s ORDER BY "order"', [policy_id]
    )
    steps = cursor.fetchall()

    # Master data: 1,000 outlets, 200 engineers, 20,000 customers with a site each — loaded once, reused when
    # a later run grows the data set (their codes and user names are unique).
    cursor.execute(
        "SELECT d.id, u.id, c.id, s.id FROM dealers_dealer d, aftersales_user u, warranty_customer c, warranty_site s"
        " WHERE d.code = 'BD0000' AND u.username = 'bench_eng0' AND c.name = 'bench customer 0'"
        " AND s.customer_id = c.id AND s.name = 'site 0' ORDER BY c.id LIMIT 1"
    )
    existing = cursor.fetchone()
    if existing is None:
        dealer0, user0, customer0, site0 = _master_data(cursor, now)
    else:
        dealer0, user0, customer0, site0 = existing
    ticket0 = _next_id(cursor, "tickets_ticket")
    timer0 = _next_id(cursor, "tickets_timer")
    start = now - timedelta(days=SPAN_DAYS)
    tickets, timers, escalations, loaners, followups = [], [], [], [], []
    severity_codes = ["critical"] + ["major"] * 4 + ["minor"] * 5
    metric_codes = ["first_response", "remote_response", "onsite_arrival", "resolution", "loaner"]

    def ticket_rows():
        timer_id = timer0
        for n in range(size):
            ticket_id = ticket0 + n
            reported = start + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
            severity = rng.choice(severity_codes)
            age_days = (now - reported).total_seconds() / 86400
            roll = rng.random()
            if age_days < 5 and roll < 0.6 or roll < 0.01:
                status = rng.choice(["new", "assigned", "in_progress", "waiting_customer"])
            elif roll < 0.03:
                status = "cancelled"
            else:
                status = "closed"
            goal = targets[severity]
            resolution = int(goal["resolution"] * rng.uniform(0.1, 1.4))
            resolved = reported + timedelta(minutes=resolution) if status == "closed" else None
            if resolved is not None and resolved > now:
                resolved, status = None, "in_progress"
            customer = rng.randrange(20_000)
            tickets.append(
                (
                    ticket_id,
                    f"DB{ticket_id:010d}",
                    rng.choice(CHANNELS),
                    status,
                    "bench",
                    customer0 + customer,
                    site0 + customer,
                    policy_id,
                    severities[severity],
                    _iso(reported),
                    _iso(reported),
                    desk_id,
                    user0 + rng.randrange(200),
                    dealer0 + rng.randrange(1000),
                    _iso(resolved),
                    _iso(resolved + timedelta(days=3) if resolved else None),
                )
            )
            onsite_needed = rng.random() < 0.4
            remote_needed = rng.random() < 0.5
            for code in metric_codes:
                target = goal[code]
                row = {"state": "running", "met": None, "breached": None, "stopped": None, "used": None, "late": None}
                due = reported + timedelta(minutes=target)
                if status == "cancelled":
                    stop = reported + timedelta(minutes=5)
                    row.update(state="cancelled", stopped=stop)
                elif status == "closed":
                    needed = code in ("first_response", "resolution") or (
                        code == "remote_response" and remote_needed or code == "onsite_arrival" and onsite_needed
                    )
                    used = resolution if code == "resolution" else int(target * rng.uniform(0.05, 1.3))
                    used = min(used, resolution)
                    if code == "loaner":
                        needed = resolution > target and rng.random() < 0.5
                        used = target // 2
                    if needed:
                        moment = reported + timedelta(minutes=used)
                        late = used > target
                        row.update(
                            state="breached" if late else "met",
                            met=moment,
                            stopped=moment,
                            used=used,
                            breached=due if late else None,
                            late=used - target if late else None,
                        )
                    else:
                        row.update(state="not_needed", stopped=resolved, used=resolution)
                elif due < now:
                    row.update(state="breached", breached=due)
                timers.append(
                    (
                        timer_id,
                        ticket_id,
                        metrics[code],
                        target,
                        _iso(reported),
                        _iso(due),
                        row["state"],
                        _iso(row["met"]),
                        _iso(row["breached"]),
                        _iso(row["stopped"]),
                        row["used"],
                        row["late"],
                        "",
                    )
                )
                if row["state"] == "breached" and rng.random() < 0.5:
                    for step_id, share in steps:
                        if share is not None and share <= 100 + 100 * (row["late"] or target) / target:
                            escalations.append((timer_id, step_id, _iso(due), _iso(due)))
                timer_id += 1
            if rng.random() < 0.02:
                lent = reported + timedelta(hours=rng.randrange(4, 48))
                if lent < now:
                    returned = resolved if resolved and resolved > lent else None
                    loaners.append((ticket_id, "备用机", "", _iso(lent), _iso(returned), desk_id))
            if resolved is not None:
                followup_due = resolved + timedelta(days=3)
                if followup_due < now and rng.random() < 0.9:
                    done = resolved + timedelta(hours=rng.randrange(1, 96))
                    scores = [rng.choice([3, 4, 4, 5, 5, 5]) for _ in range(3)]
                    followups.append(
                        (
                            ticket_id,
                            _iso(resolved),
                            _iso(followup_due),
                            "done",
                            _iso(done),
                            desk_id,
                            *scores,
                            "t",
                            "",
                            "f",
                        )
                    )
                else:
                    followups.append(
                        (
                            ticket_id,
                            _iso(resolved),
                            _iso(followup_due),
                            "pending",
                            None,
                            None,
                            None,
                            None,
                            None,
                            None,
                            "",
                            "f",
                        )
                    )
            if len(tickets) >= CHUNK:
                yield

        yield

    ticket_columns = [
        "id",
        "number",
        "channel",
        "status",
        "reporter_name",
        "customer_id",
        "site_id",
        "sla_policy_id",
        "severity_id",
        "reported_at",
        "created_at",
        "created_by_id",
        "assigned_engineer_id",
        "serving_outlet_id",
        "resolved_at",
        "closed_at",
    ]
    constant_ticket = {
        "work_mode": "",
        "contact_phone": "",
        "category": "",
        "description": "bench",
        "coverage_snapshot": "{}",
        "version": 1,
        "chargeable": "f",
        "emergency_plan": "",
    }
    timer_columns = [
        "id",
        "ticket_id",
        "metric_id",
        "target_minutes",
        "started_at",
        "due_at",
        "state",
        "met_at",
        "breached_at",
        "stopped_at",
        "business_minutes",
        "breach_minutes",
        "sla_error",
    ]
    counts = {"tickets": 0, "timers": 0, "escalations": 0, "loaners": 0, "followups": 0}
    for _batch in ticket_rows():
        counts["tickets"] += _copy(
            cursor,
            "tickets_ticket",
            ticket_columns + list(constant_ticket),
            (row + tuple(constant_ticket.values()) for row in tickets),
        )
        counts["timers"] += _copy(cursor, "tickets_timer", timer_columns, timers)
        counts["escalations"] += _copy(
            cursor, "tickets_escalation", ["timer_id", "step_id", "due_at", "fired_at"], escalations
        )
        counts["loaners"] += _copy(
            cursor,
            "tickets_loaner",
            ["ticket_id", "description", "serial", "lent_at", "returned_at", "lent_by_id"],
            loaners,
        )
        counts["followups"] += _copy(
            cursor,
            "tickets_followup",
            [
                "ticket_id",
                "resolved_at",
                "due_at",
                "status",
                "done_at",
                "done_by_id",
                "attitude",
                "quality",
                "solved",
                "runs_normally",
                "comments",
                "complaint",
            ],
            followups,
        )
        for rows in (tickets, timers, escalations, loaners, followups):
            rows.clear()
        print(f"  loaded {counts['tickets']:,} cases", flush=True)
    for table in (
        "dealers_dealer",
        "aftersales_user",
        "warranty_customer",
        "warranty_site",
        "tickets_ticket",
        "tickets_timer",
    ):
        _reset_sequence(cursor, table)
    return counts
