"""A realistic, reproducible data set of any size, written with PostgreSQL COPY (``manage.py generate_data``).

Master data (product lines, models, policies with their versions, engineers, a visit plan) goes through
the ORM; the bulk (dealers with their outlets' addresses, customers and sites across provinces, units,
cases with their timers, follow-ups and visits, claims in every state with lines, submissions and events) is
streamed in chunks to ``COPY … FROM STDIN`` from a second thread, so memory stays flat whatever the size and
rows are made while the server stores the chunk before. The escalations fired and the cases' history follow
from the cases and timers just loaded, made on the server (``INSERT … SELECT``, a range of ids at a time).
The filled tables' secondary indexes, unique constraints and foreign keys are set aside during the load and
built again at the end, then the tables are analysed. Rows follow the product's constraints (timer outcomes,
one pending follow-up, line decisions adding up to the claim's totals), so the product's selectors and pages
read them as their own.

The same seed and the same ``as_of`` moment give the same rows (numbers, serials, dates, states; database
ids follow the sequences). Everything is numbered under a prefix (``G`` by default), and a second run with
a prefix already used is refused.
"""

from __future__ import annotations

import io
import json
import queue
import random
import resource
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

CHUNK = 20_000
PROVINCES = [
    ("华北", "北京", "北京"),
    ("华东", "上海", "上海"),
    ("华南", "广东", "广州"),
    ("华南", "广东", "深圳"),
    ("华东", "江苏", "南京"),
    ("华东", "江苏", "苏州"),
    ("华东", "浙江", "杭州"),
    ("华东", "山东", "济南"),
    ("西南", "四川", "成都"),
    ("华中", "湖北", "武汉"),
    ("华中", "河南", "郑州"),
    ("西北", "陕西", "西安"),
    ("东北", "辽宁", "沈阳"),
    ("西南", "重庆", "重庆"),
    ("华北", "天津", "天津"),
    ("华东", "福建", "厦门"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
CHANNELS = ["phone"] * 6 + ["email", "web", "web", "fax", "walk_in", "dealer", "dealer"]
SEVERITIES = ["critical"] + ["major"] * 4 + ["minor"] * 5
CATEGORIES = ["发动机", "电气", "变速箱", "制冷", "液压", "控制系统", "车身", "软件"]
PROBLEMS = ["E101", "E102", "E205", "H310", "H311", "C400", "C401", "S520", "S521", "T600"]
COMPONENTS = ["engine", "gearbox", "battery", "compressor", "pump", "controller"]
CATALOGUE = [
    # line code, name, models (code, name, usage unit, regime, price range)
    ("GEN-CAR", "乘用车", [("GEN-SEDAN", "轿车 S7", "km", "car_2021"), ("GEN-SUV", "SUV X5", "km", "car_2021")]),
    (
        "GEN-APPL",
        "家用电器",
        [("GEN-AC", "空调 KF-35", "h", "consumer_goods"), ("GEN-FRIDGE", "冰箱 BCD-500", "h", "consumer_goods")],
    ),
    (
        "GEN-IND",
        "工业设备",
        [("GEN-PUMP", "水泵 P200", "h", "contract"), ("GEN-GEN", "发电机组 G500", "h", "contract")],
    ),
]
PRICES = {"car_2021": (90_000, 350_000), "consumer_goods": (2_000, 12_000), "contract": (40_000, 900_000)}
USAGE_PER_DAY = {"km": (20, 90), "h": (2, 14)}
CLAIM_STATES = [
    ("draft", 8),
    ("submitted", 20),
    ("returned", 6),
    ("approved", 30),
    ("partly_approved", 12),
    ("rejected", 10),
    ("appealed", 6),
    ("withdrawn", 8),
]


def _text(value) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


# COPY's text form of a value by its type: the common types looked up once, the rest through ``_text``.
_FORMAT = {str: str, int: str, float: str, bool: _text, datetime: datetime.isoformat, date: date.isoformat}


def _iso(value) -> str:
    if value is None:
        return "\\N"
    return _FORMAT.get(type(value), _text)(value)


class Loader:
    """The load's cursor: ``COPY`` chunks go to a writer thread (bounded queue), so rows are made while the
    server stores the chunk before; any other statement first waits for the queue to empty."""

    def __init__(self, cursor, depth: int = 3):
        self.cursor = cursor
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.seconds: dict[str, float] = defaultdict(float)
        self.thread = threading.Thread(target=self._run, name="datagen-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:
                    table, statement, buffer = item
                    started = time.perf_counter()
                    self.cursor.copy_expert(statement, buffer)
                    self.seconds[table] += time.perf_counter() - started
            except BaseException as error:  # handed to the generating thread at its next call
                self.error = error
            finally:
                self.queue.task_done()

    def _check(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def copy(self, table: str, statement: str, buffer) -> None:
        self._check()
        self.queue.put((table, statement, buffer))

    def drain(self) -> None:
        self.queue.join()
        self._check()

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self._check()

    def execute(self, statement, params=None):
        self.drain()
        return self.cursor.execute(statement, params)

    def __getattr__(self, name):  # fetchone, fetchall, rowcount: after the queue is empty
        self.drain()
        return getattr(self.cursor, name)


class Copier:
    """Rows in, ``COPY … FROM STDIN`` out, one chunk at a time (text format; values carry no tab or newline)."""

    def __init__(self, cursor: Loader, table: str, columns: list[str]):
        self.cursor, self.table, self.columns = cursor, table, columns
        self.statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        self.buffer = io.StringIO()
        self.pending = 0
        self.count = 0

    def add(self, *values) -> None:
        self.buffer.write("\t".join(map(_iso, values)))
        self.buffer.write("\n")
        self.pending += 1
        self.count += 1
        if self.pending >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        self.buffer.seek(0)
        self.cursor.copy(self.table, self.statement, self.buffer)
        self.buffer = io.StringIO()
        self.pending = 0


def _mix(n: int, seed: int) -> int:
    """A number in [0, 2**24) from a row number, spread out and the same for the same seed; ``_MIX_SQL`` is the
    same function in SQL, so rows generated on the server follow the seed too."""
    return (((n + (seed % 1000) * 1_000_003) * 2_654_435_761) % 4_294_967_296) // 256


def _mix_sql(n: str, seed: int) -> str:
    # Doubled percent signs: the statements carry parameters.
    return f"(((({n})::bigint + {(seed % 1000) * 1_000_003}) * 2654435761) %% 4294967296) / 256"


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
    return cursor.fetchone()[0]


def _reset_sequence(cursor, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce((SELECT max(id) FROM {table}), 1))"
    )


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("\\", "\\\\")


@dataclass
class Plan:
    units: int
    tickets: int
    dealers: int
    claims: int
    seed: int = 1
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    prefix: str = "G"
    open_share: float = 0.1
    progress: object = print


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


class Progress:
    def __init__(self, say, label: str, total: int):
        self.say, self.label, self.total = say, label, total
        self.started = time.perf_counter()
        self.step = max(1, total // 10)
        self.next = self.step

    def tick(self, done: int) -> None:
        if done >= self.next or done == self.total:
            elapsed = time.perf_counter() - self.started
            self.say(f"  {self.label}: {done:,}/{self.total:,} ({elapsed:.1f} s)")
            while self.next <= done:
                self.next += self.step


def generate(plan: Plan) -> dict[str, int]:
    """Write the data set; returns the row counts per table. Runs in the caller's transaction."""
    from django.contrib.auth.models import Group
    from django.db import connection

    from aftersales.demo import seed_users
    from aftersales.models import User
    from aftersales.roles import Role
    from claims.models import ClaimProgramme, ClaimType, ReasonCode
    from tickets.models import SLAMetric, SLAPolicy, Ticket, VisitPlan
    from warranty.models import PolicyVersion, ProductLine, ProductModel, Unit, WarrantyPolicy
    from warranty.services.policies import policy_version_from_preset

    rng = random.Random(plan.seed)
    now = plan.now
    p = plan.prefix
    if (
        Ticket.objects.filter(number__startswith=f"{p}T").exists()
        or Unit.objects.filter(serial__startswith=f"{p}U").exists()
    ):
        raise ValueError(f"data under the prefix {p!r} exists already; use another --prefix or a fresh database")

    # --- master data (small, through the ORM) -------------------------------------------------------------
    seed_users()
    users = {u.username: u.pk for u in User.objects.filter(username__in=["desk", "dealer", "reviewer", "admin"])}
    models = []  # (model id, regime, usage unit, policy version id, policy code)
    for line_code, line_name, line_models in CATALOGUE:
        line, _created = ProductLine.objects.get_or_create(code=line_code, defaults={"name": line_name})
        for code, name, usage_unit, regime in line_models:
            policy, created = WarrantyPolicy.objects.get_or_create(
                code=f"{code}-POL", defaults={"name": f"{name} 保修", "regime": regime}
            )
            if created or not policy.versions.exists():
                preset = {"consumer_goods": "catalogue_goods"}.get(regime, regime)
                policy_version_from_preset(policy=policy, preset=preset, effective_from=date(2015, 1, 1), now=now)
            model, _created = ProductModel.objects.get_or_create(
                code=code,
                defaults={"product_line": line, "name": name, "usage_unit": usage_unit, "policy": policy},
            )
            version = PolicyVersion.objects.filter(policy=policy).order_by("version").first()
            models.append((model.pk, regime, usage_unit, version.pk, policy.code))
    engineer_group = Group.objects.get(name=Role.ENGINEER)
    engineer_count = max(3, plan.dealers // 4)
    existing = set(User.objects.filter(username__startswith=f"{p.lower()}_eng").values_list("username", flat=True))
    fresh = [
        User(
            username=f"{p.lower()}_eng{n:04d}",
            first_name=rng.choice(GIVEN),
            last_name=rng.choice(SURNAMES),
            password="!",
            date_joined=now,
        )
        for n in range(engineer_count)
        if f"{p.lower()}_eng{n:04d}" not in existing
    ]
    User.objects.bulk_create(fresh)
    engineers = list(
        User.objects.filter(username__startswith=f"{p.lower()}_eng").order_by("username").values_list("pk", flat=True)
    )
    engineer_group.user_set.add(*engineers)
    visit_plan, _created = VisitPlan.objects.get_or_create(
        code="gen-yearly", defaults={"name": "每年一次巡检", "phone_per_year": 2, "onsite_per_year": 1}
    )
    sla_policy = SLAPolicy.objects.get(is_default=True, effective_to=None)
    severities = {s.code: s.pk for s in sla_policy.severities.all()}
    metrics = dict(SLAMetric.objects.values_list("code", "pk"))
    targets: dict[str, dict[str, int]] = {}
    for target in sla_policy.targets.select_related("severity", "metric"):
        targets.setdefault(target.severity.code, {})[target.metric.code] = target.minutes
    steps = list(sla_policy.escalation_steps.order_by("order").values_list("pk", "share_percent", "delay_minutes"))
    programme = ClaimProgramme.objects.order_by("pk").first()
    claim_types = list(ClaimType.objects.order_by("position", "pk").values_list("pk", flat=True))
    reasons = list(ReasonCode.objects.order_by("pk").values_list("pk", flat=True))

    counts: dict[str, int] = {}
    with connection.cursor() as django_cursor:
        cursor = Loader(django_cursor.cursor)  # psycopg2's own, for copy_expert
        try:
            _load(
                cursor,
                plan,
                rng,
                counts,
                models=models,
                users=users,
                engineers=engineers,
                visit_plan=visit_plan.pk,
                sla_policy=sla_policy.pk,
                severities=severities,
                metrics=metrics,
                targets=targets,
                steps=steps,
                programme=programme.pk,
                claim_types=claim_types,
                reasons=reasons,
            )
        finally:
            cursor.close()
    return counts


# The tables the load writes, in the order of the report; their secondary indexes, unique and foreign-key
# constraints are set aside while they fill and built again at the end (one sort per index, one check per key).
TABLES = [
    ("dealers_dealer", "dealers"),
    ("warranty_customer", "customers"),
    ("warranty_site", "sites"),
    ("warranty_unit", "units"),
    ("tickets_ticket", "tickets"),
    ("tickets_timer", "timers"),
    ("tickets_escalation", "escalations"),
    ("tickets_ticketevent", "ticket_events"),
    ("tickets_followup", "followups"),
    ("tickets_visit", "visits"),
    ("claims_claim", "claims"),
    ("claims_claimline", "claim_lines"),
    ("claims_claimsubmission", "claim_submissions"),
    ("claims_claimevent", "claim_events"),
]


def _load(cursor, plan, rng, counts, *, models, users, engineers, visit_plan, sla_policy, severities, metrics,
          targets, steps, programme, claim_types, reasons) -> None:  # fmt: skip
    say = plan.progress
    started = time.perf_counter()
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    # The master data's deferred key checks run now: a table with pending checks cannot be altered.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    aside = _set_aside(cursor, [table for table, _name in TABLES])
    say(f"  {len(aside)} indexes and constraints set aside for the load ({time.perf_counter() - started:.1f} s)")
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        phases[name] = time.perf_counter() - mark
        mark = time.perf_counter()

    counts.update(_dealers(cursor, plan, rng))
    dealer0 = counts.pop("_dealer0")
    counts.update(_customers_and_units(cursor, plan, rng, models, dealer0, users))
    customer0, site0, unit0 = counts.pop("_customer0"), counts.pop("_site0"), counts.pop("_unit0")
    provinces = counts.pop("_provinces")
    cursor.drain()
    phase("dealers, customers, sites, units")
    counts.update(
        _tickets(
            cursor,
            plan,
            rng,
            models=models,
            dealer0=dealer0,
            customer0=customer0,
            site0=site0,
            unit0=unit0,
            provinces=provinces,
            users=users,
            engineers=engineers,
            sla_policy=sla_policy,
            severities=severities,
            metrics=metrics,
            targets=targets,
            steps=steps,
        )
    )
    cursor.drain()
    phase("cases, timers, follow-ups")
    counts.update(_escalations_and_events(cursor, plan, counts.pop("_ticket0"), counts.pop("_timer0"), steps))
    phase("escalations, case events (on the server)")
    counts.update(_visits(cursor, plan, rng, visit_plan, unit0, dealer0, engineers))
    counts.update(
        _claims(
            cursor,
            plan,
            rng,
            unit0=unit0,
            dealer0=dealer0,
            users=users,
            programme=programme,
            claim_types=claim_types,
            reasons=reasons,
        )
    )
    cursor.drain()
    phase("visits, claims")
    for table, _name in TABLES:
        _reset_sequence(cursor, table)
    built = _restore(cursor, aside, say)
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares its keys, for the rest of the transaction
    phase("indexes and constraints")
    for table, _name in TABLES:
        cursor.execute(f"ANALYZE {table}")
    phase("analyse")
    seconds = defaultdict(float, cursor.seconds)
    for table, spent in built.items():
        seconds[table] += spent
    say(_report(cursor, counts, seconds, built))
    say("  " + ", ".join(f"{name} {spent:.1f} s" for name, spent in phases.items()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"  peak memory of this process: {peak:,.0f} MB")


def _set_aside(cursor, tables: list[str]) -> list[tuple[str, str, str, str]]:
    """Drops the secondary indexes, unique constraints (no foreign key of another table hanging on them) and
    foreign keys of ``tables``; returns what ``_restore`` puts back, word for word."""
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.contype, c.conname, pg_get_constraintdef(c.oid)
          FROM pg_constraint c
         WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')
           AND (c.contype = 'f' OR NOT EXISTS (
                SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid))
        UNION ALL
        SELECT i.indrelid::regclass::text, 'i', x.relname, pg_get_indexdef(i.indexrelid)
          FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
         WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                            AND (k.contype IN ('p', 'u', 'x') OR k.contype = 'f'))
        ORDER BY 1, 2, 3
        """,
        [tables, tables],
    )
    aside = cursor.fetchall()
    for kind in ("f", "u", "i"):
        for table, contype, name, _definition in aside:
            if contype != kind:
                continue
            if kind == "i":
                cursor.execute(f'DROP INDEX "{name}"')
            else:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return aside


def _restore(cursor, aside, say) -> dict[str, float]:
    """Builds again what ``_set_aside`` dropped, table by table: indexes, then unique constraints, then foreign
    keys (whose check reads the tables they point to, built before)."""
    spent: dict[str, float] = defaultdict(float)
    order = {"i": 0, "u": 1, "f": 2}
    tables = list(dict.fromkeys(table for table, _name in TABLES if any(row[0] == table for row in aside)))
    for table in tables + sorted({row[0] for row in aside} - set(tables)):
        rows = sorted((row for row in aside if row[0] == table), key=lambda row: order[row[1]])
        started = time.perf_counter()
        for _table, contype, name, definition in rows:
            if contype == "i":
                cursor.execute(definition)
            else:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        spent[table] = time.perf_counter() - started
        say(f"  indexes and keys of {table} built: {len(rows)} in {spent[table]:.1f} s")
    return spent


def _report(cursor, counts, seconds, built) -> str:
    """Rows, size with indexes and load seconds of each table written."""
    cursor.execute(
        "SELECT relname, pg_total_relation_size(oid), pg_indexes_size(oid) FROM pg_class "
        "WHERE relname = ANY(%s) AND relkind = 'r'",
        [[table for table, _name in TABLES]],
    )
    sizes = {name: (total, indexes) for name, total, indexes in cursor.fetchall()}
    lines = [f"  {'table':<24} {'rows':>12} {'MB':>9} {'of which indexes':>17} {'load s':>8} {'index s':>8}"]
    for table, name in TABLES:
        total, indexes = sizes.get(table, (0, 0))
        lines.append(
            f"  {table:<24} {counts.get(name, 0):>12,} {total / 2**20:>9,.1f} {indexes / 2**20:>17,.1f} "
            f"{seconds.get(table, 0) - built.get(table, 0):>8.1f} {built.get(table, 0):>8.1f}"
        )
    everything = sum(total for total, _indexes in sizes.values())
    lines.append(f"  {'all':<24} {sum(counts.values()):>12,} {everything / 2**20:>9,.1f}")
    return "\n".join(lines)


def _dealers(cursor, plan: Plan, rng: random.Random) -> dict[str, int]:
    dealer0 = _next_id(cursor, "dealers_dealer")
    rows = Copier(
        cursor,
        "dealers_dealer",
        ["id", "code", "name", "region", "province", "city", "address", "latitude", "longitude", "labour_rate"]
        + ["rating_tier", "is_active", "suspended"],
    )
    for n in range(plan.dealers):
        region, province, city = PROVINCES[n % len(PROVINCES)]
        rows.add(
            dealer0 + n,
            f"{plan.prefix}D{n:05d}",
            f"{city}{rng.choice(['通达', '顺安', '恒信', '众诚', '华瑞', '安捷'])}服务站{n}",
            region,
            province,
            city,
            f"{city}市{rng.randrange(1, 300)}号",
            f"{rng.uniform(22, 45):.6f}",
            f"{rng.uniform(100, 125):.6f}",
            rng.choice([60, 80, 100, 120]),
            rng.choices("ABCD", weights=[2, 5, 2, 1])[0],
            rng.random() > 0.02,
            rng.random() < 0.01,
        )
    rows.flush()
    return {"_dealer0": dealer0, "dealers": rows.count}


def _customers_and_units(cursor, plan, rng, models, dealer0, users) -> dict[str, int]:
    customers = max(1, plan.units // 3)
    customer0 = _next_id(cursor, "warranty_customer")
    site0 = _next_id(cursor, "warranty_site")
    unit0 = _next_id(cursor, "warranty_unit")
    customer_rows = Copier(cursor, "warranty_customer", ["id", "kind", "name", "phone", "email", "created_at"])
    site_rows = Copier(
        cursor, "warranty_site", ["id", "customer_id", "name", "address", "province", "city", "latitude", "longitude"]
    )
    progress = Progress(plan.progress, "customers", customers)
    # Each customer's province (one byte each): a case at the customer's site carries it on its own row.
    provinces = bytearray(customers)
    for n in range(customers):
        organisation = rng.random() < 0.3
        provinces[n] = rng.randrange(len(PROVINCES))  # as rng.choice(PROVINCES) draws it
        _region, province, city = PROVINCES[provinces[n]]
        name = f"{city}{rng.choice(['宏达', '金鼎', '远航', '新世纪'])}有限公司{n}" if organisation else _person(rng)
        customer_rows.add(customer0 + n, "organisation" if organisation else "person", name, _phone(rng), "", plan.now)
        site_rows.add(
            site0 + n,
            customer0 + n,
            "总部" if organisation else "家",
            f"{city}{rng.randrange(1, 999)}号",
            province,
            city,
            f"{rng.uniform(22, 45):.6f}",
            f"{rng.uniform(100, 125):.6f}",
        )
        progress.tick(n + 1)
    customer_rows.flush()
    site_rows.flush()
    unit_rows = Copier(
        cursor,
        "warranty_unit",
        ["id", "serial", "product_model_id", "invoice_date", "delivery_date", "installation_date", "acceptance_date"]
        + ["price"]
        + ["usage_reading", "usage_read_at", "registered_at", "registered_late", "version", "customer_id", "site_id"]
        + ["selling_dealer_id", "registered_by_id"],
    )
    today = plan.now.date()
    progress = Progress(plan.progress, "units", plan.units)
    for n in range(plan.units):
        model_id, regime, usage_unit, _version, _policy = models[n % len(models)]
        invoice = today - timedelta(days=rng.randrange(1, 6 * 365))
        delivery = min(today, invoice + timedelta(days=rng.randrange(0, 10)))
        installed = min(today, delivery + timedelta(days=rng.randrange(0, 20))) if regime == "contract" else None
        age = (today - delivery).days
        low, high = USAGE_PER_DAY[usage_unit]
        late = rng.random() < 0.04
        registered = datetime.combine(
            invoice + timedelta(days=rng.randrange(30, 90) if late else rng.randrange(0, 5)),
            datetime.min.time(),
            tzinfo=UTC,
        ) + timedelta(hours=rng.randrange(1, 10))
        registered = min(registered, plan.now)
        customer = customer0 + _unit_customer(n, customers, plan.seed)
        unit_rows.add(
            unit0 + n,
            f"{plan.prefix}U{n:010d}",
            model_id,
            invoice,
            delivery,
            installed,
            min(today, installed + timedelta(days=rng.randrange(1, 15))) if installed else None,
            rng.randrange(*PRICES[regime]),
            int(age * rng.uniform(low, high)),
            plan.now - timedelta(days=rng.randrange(0, 60)),
            registered,
            late,
            1,
            customer,
            site0 + (customer - customer0),
            dealer0 + rng.randrange(plan.dealers) if plan.dealers else None,
            users["desk"],
        )
        progress.tick(n + 1)
    unit_rows.flush()
    return {
        "_customer0": customer0,
        "_site0": site0,
        "_provinces": provinces,
        "_unit0": unit0,
        "customers": customer_rows.count,
        "sites": site_rows.count,
        "units": unit_rows.count,
    }


def _unit_customer(n: int, customers: int, seed: int) -> int:
    """The customer (and site) of the n-th unit, counted from the first generated: a function of the number,
    so a case on the unit takes them without reading the unit back."""
    return _mix(n, seed) % customers


def _step_moment(started: datetime, due: datetime, target: int, share, delay) -> datetime:
    if share is not None:
        return started + timedelta(minutes=target * share / 100)
    return due + timedelta(minutes=delay)


def _tickets(cursor, plan, rng, *, models, dealer0, customer0, site0, unit0, provinces, users, engineers,
             sla_policy, severities, metrics, targets, steps) -> dict[str, int]:  # fmt: skip
    """Cases with their timers and follow-ups; the escalations and events follow on the server from these."""
    ticket0 = _next_id(cursor, "tickets_ticket")
    timer0 = _next_id(cursor, "tickets_timer")
    # The site's province on the case's row, where the schema has that column.
    cursor.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = 'tickets_ticket' AND column_name = 'province'"
    )
    with_province = cursor.fetchone() is not None
    ticket_rows = Copier(
        cursor,
        "tickets_ticket",
        ["id", "number", "channel", "status", "work_mode", "reporter_name", "contact_phone", "category"]
        + ["description", "coverage_snapshot", "distance_km", "reported_at", "created_at", "resolved_at"]
        + ["closed_at", "version", "assigned_engineer_id", "created_by_id", "customer_id", "serving_outlet_id"]
        + ["severity_id", "site_id", "sla_policy_id", "unit_id", "chargeable", "emergency_plan"]
        + ["coverage_policy_version_id", "next_due_at"]
        + (["province"] if with_province else []),
    )
    timer_rows = Copier(
        cursor,
        "tickets_timer",
        ["id", "ticket_id", "metric_id", "target_minutes", "started_at", "due_at", "state", "met_at"]
        + ["breached_at", "breach_minutes", "next_action_at", "stopped_at", "business_minutes", "sla_error"],
    )
    followup_rows = Copier(
        cursor,
        "tickets_followup",
        ["ticket_id", "resolved_at", "due_at", "status", "done_at", "done_by_id", "attitude", "quality", "solved"]
        + ["runs_normally", "comments", "complaint"],
    )
    now = plan.now
    desk = users["desk"]
    progress = Progress(plan.progress, "cases", plan.tickets)
    units = plan.units
    customers = max(1, units // 3)
    first_timer = timer0
    for n in range(plan.tickets):
        ticket_id = ticket0 + n
        severity = rng.choice(SEVERITIES)
        goal = targets[severity]
        opened = rng.random() < plan.open_share
        if opened:
            reported = now - timedelta(minutes=rng.randrange(1, 30 * 24 * 60))
            status = rng.choices(
                ["new", "assigned", "in_progress", "waiting_customer", "waiting_parts"], weights=[1, 3, 4, 1, 1]
            )[0]
        else:
            reported = now - timedelta(minutes=rng.randrange(24 * 60, 730 * 24 * 60))
            status = rng.choices(["resolved", "confirmed", "closed", "cancelled"], weights=[3, 4, 40, 3])[0]
        unit = unit0 + rng.randrange(units) if units and rng.random() < 0.9 else None
        model = models[(unit - unit0) % len(models)] if unit else None
        serial = f"{plan.prefix}U{unit - unit0:010d}" if unit else ""
        snapshot = (
            {
                "schema": 1,
                "serial": serial,
                "on": reported.date().isoformat(),
                "usage": rng.randrange(100, 90_000),
                "covered": rng.random() < 0.8,
                "regime": model[1],
                "policy_code": model[4],
                "policy_version": 1,
                "contract_number": "",
                "start_date": None,
                "reason_code": "",
                "reason_message": "",
                "registration_late": False,
                "periods": [],
            }
            if unit
            else {}
        )
        resolution = int(goal["resolution"] * rng.uniform(0.2, 1.5))
        resolved = reported + timedelta(minutes=resolution) if status in ("resolved", "confirmed", "closed") else None
        confirmed = resolved + _confirmed_after(n, plan.seed) if status in ("confirmed", "closed") else None
        closed = confirmed + timedelta(days=rng.randrange(1, 4)) if status == "closed" else None
        if resolved and (closed or confirmed or resolved) > now:
            status, resolved, confirmed, closed = "in_progress", None, None, None
        engineer = rng.choice(engineers) if status not in ("new", "cancelled") else None
        work_mode = "" if status in ("new", "assigned", "cancelled") else rng.choice(["contacted", "remote", "on_site"])
        province = ""
        if unit:
            index = _unit_customer(unit - unit0, customers, plan.seed)
            customer, site, province = customer0 + index, site0 + index, PROVINCES[provinces[index]][1]
        else:
            customer, site = customer0 + rng.randrange(customers), None
        ticket = [
            ticket_id,
            f"{plan.prefix}T{n:09d}",
            rng.choice(CHANNELS),
            status,
            work_mode,
            _person(rng),
            _phone(rng),
            rng.choice(CATEGORIES),
            f"{rng.choice(CATEGORIES)}故障：{rng.choice(PROBLEMS)}",
            _json(snapshot),
            rng.randrange(1, 300) if work_mode == "on_site" else None,
            reported,
            reported,
            resolved,
            closed,
            1 + (status != "new") + 2 * bool(resolved),
            engineer,
            desk,
            customer,
            dealer0 + rng.randrange(plan.dealers) if plan.dealers else None,
            severities[severity],
            site,
            sla_policy,
            unit,
            False,
            "",
            model[3] if unit else None,
        ]
        next_due = None
        # The timers: first response and resolution always, remote / on-site / loaner when the case needed them.
        wanted = ["first_response", "resolution"]
        if rng.random() < 0.5:
            wanted.append("remote_response")
        if work_mode == "on_site" or rng.random() < 0.2:
            wanted.append("onsite_arrival")
        if rng.random() < 0.05:
            wanted.append("loaner")
        for code in wanted:
            target = goal[code]
            due = reported + timedelta(minutes=target)
            state, met, breached, stopped, used, late, next_action = "running", None, None, None, None, None, None
            if status == "cancelled":
                state, stopped = "cancelled", reported + timedelta(minutes=rng.randrange(1, 60))
            elif (
                resolved
                or (code == "first_response" and status != "new")
                or (
                    code != "resolution"
                    and opened
                    and status in ("in_progress", "waiting_parts")
                    and rng.random() < 0.7
                )
            ):
                used = min(int(target * rng.uniform(0.1, 1.3)), resolution if resolved else target * 2)
                used = max(1, used)
                if code == "resolution" and resolved:
                    used = resolution
                moment = reported + timedelta(minutes=used)
                if moment > now:
                    moment, used = now, max(1, int((now - reported).total_seconds() // 60))
                state = "breached" if used > target else "met"
                met, stopped = moment, moment
                if state == "breached":
                    breached, late = due, used - target
            elif due < now:
                state, breached, late = "breached", due, int((now - due).total_seconds() // 60)
            if stopped is None:
                # Open: the next escalation step still to come (the ones passed have fired, on the server).
                next_due = due if next_due is None else min(next_due, due)
                for _step_id, share, delay in steps:
                    moment = _step_moment(reported, due, target, share, delay)
                    if moment > now:
                        next_action = moment
                        break
            timer_rows.add(
                timer0,
                ticket_id,
                metrics[code],
                target,
                reported,
                due,
                state,
                met,
                breached,
                late,
                next_action,
                stopped,
                used,
                "",
            )
            timer0 += 1
        ticket_rows.add(*ticket, next_due, *([province] if with_province else []))
        if resolved:
            followup_due = resolved + timedelta(days=3)
            if status != "resolved" and followup_due < now and rng.random() < 0.9:
                followup_rows.add(
                    ticket_id,
                    resolved,
                    followup_due,
                    "done",
                    resolved + timedelta(hours=rng.randrange(2, 70)),
                    desk,
                    rng.choice([3, 4, 4, 5, 5, 5]),
                    rng.choice([2, 4, 4, 5, 5]),
                    rng.choice([3, 4, 5, 5]),
                    rng.random() < 0.95,
                    "",
                    rng.random() < 0.01,
                )
            else:
                followup_rows.add(
                    ticket_id, resolved, followup_due, "pending", None, None, None, None, None, None, "", False
                )
        progress.tick(n + 1)
    for rows in (ticket_rows, timer_rows, followup_rows):
        rows.flush()
    return {
        "_ticket0": ticket0,
        "_timer0": first_timer,
        "tickets": ticket_rows.count,
        "timers": timer_rows.count,
        "followups": followup_rows.count,
    }


def _confirmed_after(n: int, seed: int) -> timedelta:
    """How long the customer took to confirm the n-th case's repair (2 to 47 hours; also in ``_events_sql``)."""
    return timedelta(hours=2 + _mix(n, seed) % 46)


# Each status's history after "created": (step, kind, from, to). The steps before the repair spread evenly
# between the report and the repair (or now); resolve, confirm and close at their moments.
PATHS = {
    "new": [],
    "assigned": [("assign", "new", "assigned")],
    "cancelled": [("assign", "new", "new"), ("cancel", "new", "cancelled")],
    "in_progress": [("assign", "new", "assigned"), ("contact", "assigned", "in_progress")],
    "waiting_customer": [
        ("assign", "new", "assigned"),
        ("contact", "assigned", "in_progress"),
        ("wait_customer", "in_progress", "waiting_customer"),
    ],
    "waiting_parts": [
        ("assign", "new", "assigned"),
        ("contact", "assigned", "in_progress"),
        ("wait_parts", "in_progress", "waiting_parts"),
    ],
    "resolved": [
        ("assign", "new", "assigned"),
        ("contact", "assigned", "in_progress"),
        ("resolve", "in_progress", "resolved"),
    ],
    "confirmed": [
        ("assign", "new", "assigned"),
        ("contact", "assigned", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("confirm", "resolved", "confirmed"),
    ],
    "closed": [
        ("assign", "new", "assigned"),
        ("contact", "assigned", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("confirm", "resolved", "confirmed"),
        ("close", "confirmed", "closed"),
    ],
}
SERVER_CHUNK = 500_000


def _escalations_and_events(cursor, plan, ticket0: int, timer0: int, steps) -> dict[str, int]:
    """The fired escalation steps and the case history, by ``INSERT … SELECT`` from the cases and timers just
    loaded (a range of ids per statement): the bulk of the rows, made by the server without a round trip."""
    tickets = _last_id(cursor, "tickets_ticket") - ticket0 + 1
    timers = _last_id(cursor, "tickets_timer") - timer0 + 1
    now = plan.now
    steps_sql = ", ".join(
        f"({step}, {'NULL' if share is None else share}::numeric, {'NULL' if delay is None else delay}::numeric, {n})"
        for n, (step, share, delay) in enumerate(steps)
    )
    escalations = events = 0
    if steps and timers > 0:
        progress = Progress(plan.progress, "escalations (timers read)", timers)
        started = time.perf_counter()
        for first in range(timer0, timer0 + timers, SERVER_CHUNK):
            cursor.execute(
                f"""
                INSERT INTO tickets_escalation (timer_id, step_id, due_at, fired_at)
                SELECT t.id, s.step, m.at,
                       m.at + (5 + {_mix_sql(f"(t.id - {timer0}) * 8 + s.n", plan.seed)} %% 55) * interval '1 second'
                  FROM tickets_timer t
                 CROSS JOIN (VALUES {steps_sql}) AS s (step, share, delay, n)
                 CROSS JOIN LATERAL (SELECT CASE WHEN s.share IS NOT NULL
                                            THEN t.started_at + t.target_minutes * s.share / 100 * interval '1 minute'
                                            ELSE t.due_at + s.delay * interval '1 minute' END AS at) m
                 WHERE t.id >= %s AND t.id < %s AND t.state <> 'cancelled'
                   AND ((t.stopped_at IS NULL AND m.at <= %s)
                        OR (t.state = 'breached' AND t.stopped_at IS NOT NULL AND m.at <= t.stopped_at))
                """,
                [first, min(first + SERVER_CHUNK, timer0 + timers), now],
            )
            escalations += cursor.rowcount
            progress.tick(min(first + SERVER_CHUNK, timer0 + timers) - timer0)
        cursor.seconds["tickets_escalation"] += time.perf_counter() - started
    path_sql = ", ".join(
        f"('{status}', {index}, '{kind}', '{before}', '{after}', {sum(1 for k, *_r in path if k not in DATED)})"
        for status, path in PATHS.items()
        for index, (kind, before, after) in enumerate([("created", "", "new"), *path])
    )
    if tickets > 0:
        progress = Progress(plan.progress, "case events (cases read)", tickets)
        started = time.perf_counter()
        for first in range(ticket0, ticket0 + tickets, SERVER_CHUNK):
            confirmed = f"(2 + {_mix_sql(f'k.id - {ticket0}', plan.seed)} %% 46) * interval '1 hour'"
            cursor.execute(
                f"""
                INSERT INTO tickets_ticketevent (ticket_id, actor_id, kind, from_state, to_state, data, at)
                SELECT k.id, CASE WHEN p.kind = 'created' THEN k.created_by_id
                                  ELSE coalesce(k.assigned_engineer_id, k.created_by_id) END,
                       p.kind, p.before, p.after, '{{}}',
                       CASE p.kind WHEN 'created' THEN k.reported_at
                                   WHEN 'resolve' THEN k.resolved_at
                                   WHEN 'confirm' THEN k.resolved_at + {confirmed}
                                   WHEN 'close' THEN k.closed_at
                                   ELSE k.reported_at + (coalesce(k.resolved_at, %s) - k.reported_at)
                                        * p.step / (p.before_repair + 1) END
                  FROM tickets_ticket k
                  JOIN (VALUES {path_sql}) AS p (status, step, kind, before, after, before_repair)
                    ON p.status = k.status
                 WHERE k.id >= %s AND k.id < %s
                """,
                [now, first, min(first + SERVER_CHUNK, ticket0 + tickets)],
            )
            events += cursor.rowcount
            progress.tick(min(first + SERVER_CHUNK, ticket0 + tickets) - ticket0)
        cursor.seconds["tickets_ticketevent"] += time.perf_counter() - started
    return {"escalations": escalations, "ticket_events": events}


DATED = {"resolve", "confirm", "close"}


def _last_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
    return cursor.fetchone()[0]


def _visits(cursor, plan, rng, visit_plan, unit0, dealer0, engineers) -> dict[str, int]:
    """An on-site inspection in each of the first years for one unit in twenty (the plan's yearly visit)."""
    rows = Copier(
        cursor,
        "tickets_visit",
        ["plan_id", "unit_id", "slot", "kind", "due_on", "outlet_id", "assigned_to_id", "status", "checklist"]
        + ["findings", "confirmed_by", "done_at", "created_at"],
    )
    today = plan.now.date()
    for n in range(0, plan.units, 20):
        for year in range(1, 3):
            due = today - timedelta(days=rng.randrange(-120, 700))
            done = due < today and rng.random() < 0.85
            kind = rng.choice(["onsite", "onsite", "phone"])
            rows.add(
                visit_plan,
                unit0 + n,
                f"y{year}-{kind}-1",
                kind,
                due,
                dealer0 + rng.randrange(plan.dealers) if plan.dealers else None,
                rng.choice(engineers),
                "done" if done else "planned",
                "[]",
                "运行正常" if done else "",
                _person(rng) if done else "",
                datetime.combine(due, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10) if done else None,
                plan.now,
            )
    rows.flush()
    return {"visits": rows.count}


def _claims(cursor, plan, rng, *, unit0, dealer0, users, programme, claim_types, reasons) -> dict[str, int]:
    if not plan.claims:
        return {"claims": 0, "claim_lines": 0, "claim_submissions": 0, "claim_events": 0}
    if not plan.units or not plan.dealers:
        raise ValueError("claims need units and dealers")
    claim0 = _next_id(cursor, "claims_claim")
    claim_rows = Copier(
        cursor,
        "claims_claim",
        ["id", "number", "dealer_id", "unit_id", "programme_id", "claim_type_id", "status", "problem_code"]
        + ["fault_description", "fault_date", "component", "serious_safety", "repair_agreed_at"]
        + ["repair_completed_at", "usage", "claimed_total", "approved_total", "failed_checks", "submission_count"]
        + ["submitted_at", "last_submitted_at", "review_due_at", "decided_at", "reviewer_id", "appeal_count"]
        + ["appealed_at", "appeal_reason", "appeal_reviewer_id", "spot_check", "created_by_id", "created_at"]
        + ["updated_at", "version"],
    )
    line_rows = Copier(
        cursor,
        "claims_claimline",
        ["claim_id", "position", "kind", "description", "hours", "standard_hours", "rate", "part_number"]
        + ["part_name", "quantity", "unit_price", "list_price", "return_required", "old_part_serial", "cost_kind"]
        + ["claimed_amount", "decision", "approved_amount", "decision_note", "decided_at", "appealed"]
        + ["decided_by_id", "reason_id"],
    )
    submission_rows = Copier(
        cursor,
        "claims_claimsubmission",
        ["claim_id", "number", "submitted_at", "snapshot", "changes", "submitted_by_id"],
    )
    event_rows = Copier(
        cursor, "claims_claimevent", ["claim_id", "actor_id", "kind", "from_state", "to_state", "data", "at"]
    )
    # The unit's selling dealer claims it: read the pairs back in id order (deterministic).
    cursor.execute(
        "SELECT id, selling_dealer_id FROM warranty_unit WHERE id >= %s AND selling_dealer_id IS NOT NULL "
        "ORDER BY id LIMIT 200000",
        [unit0],
    )
    pairs = cursor.fetchall()
    staff, reviewer, second = users["dealer"], users["reviewer"], users["admin"]
    states = [state for state, _weight in CLAIM_STATES]
    weights = [weight for _state, weight in CLAIM_STATES]
    now = plan.now
    progress = Progress(plan.progress, "claims", plan.claims)
    for n in range(plan.claims):
        claim_id = claim0 + n
        # Every state appears once in the first claims, then by weight.
        status = states[n] if n < len(states) else rng.choices(states, weights=weights)[0]
        unit, dealer = pairs[rng.randrange(len(pairs))]
        created = now - timedelta(days=rng.randrange(1, 400), minutes=rng.randrange(0, 1440))
        agreed = created - timedelta(days=rng.randrange(1, 10))
        completed = agreed + timedelta(hours=rng.randrange(1, 30))
        submitted = status != "draft"
        decided = status in ("approved", "partly_approved", "rejected", "appealed")
        lines = []
        for position in range(1, rng.randrange(2, 5)):
            kind = rng.choice(["labour", "part", "other"])
            if kind == "labour":
                hours = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0])
                rate = rng.choice([60, 80, 100])
                amount = round(hours * rate, 2)
                values = (hours, hours, rate, "", "", None, None, None, False, "", "")
            elif kind == "part":
                quantity = rng.randrange(1, 4)
                price = rng.choice([120, 350, 980, 2400])
                amount = quantity * price
                values = (
                    None,
                    None,
                    None,
                    f"P-{rng.randrange(1000, 9999)}",
                    "配件",
                    quantity,
                    price,
                    price,
                    True,
                    "",
                    "",
                )
            else:
                amount = rng.choice([80, 150, 300])
                values = (None, None, None, "", "", None, None, None, False, "", rng.choice(["towing", "travel"]))
            lines.append([position, kind, values, amount])
        claimed = sum(line[3] for line in lines)
        approved_total = 0
        for line in lines:
            amount = line[3]
            if status == "approved":
                decision, approved, reason = "approved", amount, None
            elif status == "partly_approved":
                decision = rng.choice(["approved", "reduced", "rejected"]) if line[0] > 1 else "reduced"
                approved = {"approved": amount, "reduced": round(amount * 0.5, 2), "rejected": 0}[decision]
                reason = rng.choice(reasons) if decision != "approved" else None
            elif status in ("rejected", "appealed"):
                decision, approved, reason = "rejected", 0, rng.choice(reasons)
            else:
                decision, approved, reason = "pending", None, None
            approved_total += approved or 0
            line.extend([decision, approved, reason])
        decided_at = created + timedelta(days=rng.randrange(1, 20)) if decided else None
        appealed_at = decided_at + timedelta(days=2) if status == "appealed" else None
        claim_rows.add(
            claim_id,
            f"{plan.prefix}C{n:09d}",
            dealer,
            unit,
            programme,
            rng.choice(claim_types),
            status,
            rng.choice(PROBLEMS),
            f"{rng.choice(CATEGORIES)}故障，已更换",
            agreed.date(),
            rng.choice(COMPONENTS),
            rng.random() < 0.02,
            agreed,
            completed,
            rng.randrange(100, 90_000),
            f"{claimed:.2f}",
            f"{approved_total:.2f}",
            "{labour_hours}" if submitted and rng.random() < 0.15 else "{}",
            1 if submitted else 0,
            created if submitted else None,
            created if submitted else None,
            created + timedelta(days=10) if submitted else None,
            decided_at,
            reviewer if decided else None,
            1 if status == "appealed" else 0,
            appealed_at,
            "不同意驳回，附件已补充" if status == "appealed" else "",
            second if status == "appealed" else None,
            rng.random() < 0.05,
            staff,
            created,
            decided_at or created,
            1 + submitted + decided,
        )
        for position, kind, values, amount, decision, approved, reason in lines:
            hours, standard, rate, part_number, part_name, quantity, unit_price, list_price, ret, old, cost = values
            line_rows.add(
                claim_id,
                position,
                kind,
                {"labour": "工时", "part": "更换配件", "other": "其他费用"}[kind],
                hours,
                standard,
                rate,
                part_number,
                part_name,
                quantity,
                unit_price,
                list_price,
                ret,
                old,
                cost,
                f"{amount:.2f}",
                decision,
                None if approved is None else f"{approved:.2f}",
                "",
                decided_at if decision != "pending" else None,
                status == "appealed",
                reviewer if decision != "pending" else None,
                reason,
            )
        event_rows.add(claim_id, staff, "created", "", "draft", "{}", created - timedelta(hours=1))
        if submitted:
            submission_rows.add(claim_id, 1, created, "{}", "{}", staff)
            event_rows.add(claim_id, staff, "submit", "draft", "submitted", "{}", created)
        if status == "returned":
            event_rows.add(claim_id, reviewer, "return", "submitted", "returned", "{}", created + timedelta(days=1))
        if status == "withdrawn":
            event_rows.add(claim_id, staff, "withdraw", "submitted", "withdrawn", "{}", created + timedelta(days=1))
        if decided:
            outcome = "rejected" if status == "appealed" else status
            event_rows.add(claim_id, reviewer, "decided", "submitted", outcome, "{}", decided_at)
        if status == "appealed":
            event_rows.add(claim_id, staff, "appeal", "rejected", "appealed", "{}", appealed_at)
        progress.tick(n + 1)
    for rows in (claim_rows, line_rows, submission_rows, event_rows):
        rows.flush()
    return {
        "claims": claim_rows.count,
        "claim_lines": line_rows.count,
        "claim_submissions": submission_rows.count,
        "claim_events": event_rows.count,
    }
