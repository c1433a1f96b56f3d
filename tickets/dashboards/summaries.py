"""The SLA dashboard's maintained day summaries (tickets.models.summaries): how they are built, kept
correct, and read.

**Built** by one grouped statement over the stopped timers of some business days: each timer counted once
for every case (dimension "") and once under each dimension of its case, per business day of its stop and
metric, with the business minutes of the work done kept as an array (so percentiles stay exact) and the
breaches counted per escalation level reached.

**Kept correct** by :func:`sla_summaries_refresh`, the beat job: PostgreSQL triggers (migration 0021) record
the hour of every stop whose timer was written, whose case moved (severity, channel, site, unit, outlet,
engineer, policy), whose escalations changed, or whose site / unit / model changed its province or product
line — whoever wrote it. The job takes those hours, recomputes the days they fall in and removes them, in one
transaction per batch, under an advisory lock (a run finding another at work leaves it the days). Re-running
it does nothing new; a run that failed leaves its hours for the next.

**Read** by the SLA selectors for whoever sees every case, with at most one dimension filter (and, for a
breakdown, only on the dimension it groups by): the clean days from the summaries and the days still
recorded as changed aggregated live from the timers, in one statement — so the figures are the live
figures at every moment, whether the job has run or not. Other filters (a customer, two dimensions, a
dealer's own scope) are read live; they are selective.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, router, transaction

from aftersales.dates import business_zone
from aftersales.scoping import viewer
from tickets.dashboards.filters import DashboardFilters
from tickets.models import SLADaySummary

logger = logging.getLogger(__name__)

# The dashboard dimensions the summaries are kept for, each as the case's value stored in ``key`` (ids, so
# renaming a code changes nothing) and how a filter's value (a code, as the URL has it) becomes those keys.
DIMENSION_KEYS = {
    "severity": "k.severity_id::text",
    "channel": "k.channel",
    "province": "st.province",
    "outlet": "k.serving_outlet_id::text",
    "engineer": "k.assigned_engineer_id::text",
    "product_line": "pm.product_line_id::text",
    "sla_policy": "k.sla_policy_id::text",
}
FILTER_KEYS = {
    "severity": "ARRAY(SELECT id::text FROM tickets_severity WHERE code = %s)",
    "channel": "ARRAY[%s::text]",
    "province": "ARRAY[%s::text]",
    "outlet": "ARRAY(SELECT id::text FROM dealers_dealer WHERE code = %s)",
    "engineer": "ARRAY(SELECT id::text FROM aftersales_user WHERE username = %s)",
    "product_line": "ARRAY(SELECT id::text FROM warranty_productline WHERE code = %s)",
    "sla_policy": "ARRAY(SELECT id::text FROM tickets_slapolicy WHERE code = %s)",
}
# What a breakdown shows for a key: the code the filters and the case queue take.
KEY_LABELS = {
    "severity": ("tickets_severity", "code"),
    "outlet": ("dealers_dealer", "code"),
    "engineer": ("aftersales_user", "username"),
    "product_line": ("warranty_productline", "code"),
    "sla_policy": ("tickets_slapolicy", "code"),
}
ALL = ""
LOCK = 7_300_021  # pg_advisory_xact_lock key of the refresh job


# -- building ------------------------------------------------------------------------------------------


def grouped_sql(dimensions: list[str], *, ranges: int = 0, keys_sql: str = "", changed: bool = False) -> str:
    """The summary rows (day, metric_id, dimension, key, met, breached, not_needed, done, minutes, levels) of
    the stopped timers whose stop falls in one of ``ranges`` time ranges (parameters ``since_<n>`` /
    ``until_<n>``, written out so each is one index range of the metric's stops; ``changed``: a few days read
    live, each day's timers and their cases looked up by index whatever the planner expects), for every case
    (``ALL`` in ``dimensions``) and per value of each dimension; ``keys_sql`` (an SQL array) keeps only those
    keys. ``minutes``: the business minutes of each timer done; ``levels``: the escalation level each breach
    reached. Takes ``%(tz)s``."""
    values = ", ".join("('', '')" if name == ALL else f"('{name}', {DIMENSION_KEYS[name]})" for name in dimensions)
    key_filter = f"AND d.key = ANY({keys_sql})" if keys_sql else ""
    columns = "t.id, t.stopped_at, t.metric_id, t.state, t.met_at, t.business_minutes, t.ticket_id"
    # Every metric is named: the index of stops leads with the metric.
    stopped = (
        "t.metric_id = ANY(ARRAY(SELECT id FROM tickets_slametric)) AND t.stopped_at IS NOT NULL "
        "AND t.state IN ('met', 'breached', 'not_needed')"
    )
    if changed:
        # OFFSET 0 keeps each lookup a parameterised one (a nested loop), never a scan of every case.
        pairs = ", ".join(f"(%(since_{n})s::timestamptz, %(until_{n})s::timestamptz)" for n in range(ranges))
        timers = f"""(VALUES {pairs}) r(since, until)
               CROSS JOIN LATERAL (SELECT {columns} FROM tickets_timer t
                                    WHERE {stopped} AND t.stopped_at >= r.since AND t.stopped_at < r.until
                                   OFFSET 0) t"""
        cases = """CROSS JOIN LATERAL (SELECT k.severity_id, k.channel, k.site_id, k.unit_id, k.serving_outlet_id,
                                        k.assigned_engineer_id, k.sla_policy_id
                                   FROM tickets_ticket k WHERE k.id = x.ticket_id OFFSET 0) k
          LEFT JOIN LATERAL (SELECT st.province FROM warranty_site st WHERE st.id = k.site_id OFFSET 0) st ON true
          LEFT JOIN LATERAL (SELECT pm.product_line_id FROM warranty_unit u
                               JOIN warranty_productmodel pm ON pm.id = u.product_model_id
                              WHERE u.id = k.unit_id OFFSET 0) pm ON true"""
    else:
        stops = " OR ".join(f"(t.stopped_at >= %(since_{n})s AND t.stopped_at < %(until_{n})s)" for n in range(ranges))
        timers = f"(SELECT {columns} FROM tickets_timer t WHERE {stopped} AND ({stops})) t"
        cases = """JOIN tickets_ticket k ON k.id = x.ticket_id
          LEFT JOIN warranty_site st ON st.id = k.site_id
          LEFT JOIN warranty_unit u ON u.id = k.unit_id
          LEFT JOIN warranty_productmodel pm ON pm.id = u.product_model_id"""
    return f"""
        SELECT x.day, x.metric_id, d.dimension, d.key,
               count(*) FILTER (WHERE x.state = 'met') AS met,
               count(*) FILTER (WHERE x.state = 'breached') AS breached,
               count(*) FILTER (WHERE x.state = 'not_needed') AS not_needed,
               count(*) FILTER (WHERE x.met_at IS NOT NULL) AS done,
               coalesce(array_agg(x.business_minutes) FILTER (WHERE x.met_at IS NOT NULL
                                                             AND x.business_minutes IS NOT NULL), '{{}}') AS minutes,
               coalesce(array_agg(x.level) FILTER (WHERE x.state = 'breached'), '{{}}') AS levels
          FROM (SELECT (t.stopped_at AT TIME ZONE %(tz)s)::date AS day, t.metric_id, t.state, t.met_at,
                       t.business_minutes, t.ticket_id,
                       CASE WHEN t.state = 'breached' THEN coalesce(
                           (SELECT max(s."order") FROM tickets_escalation e
                              JOIN tickets_escalationstep s ON s.id = e.step_id WHERE e.timer_id = t.id), 0)
                       END AS level
                  FROM {timers}) x
          {cases}
         CROSS JOIN LATERAL (VALUES {values}) d(dimension, key)
         WHERE true {key_filter}
         GROUP BY x.day, x.metric_id, d.dimension, d.key"""


def day_ranges(days) -> dict[str, datetime]:
    """Business days as [start, end) instants, consecutive days merged into one range: the parameters
    ``since_<n>`` / ``until_<n>`` of :func:`grouped_sql`."""
    zone = business_zone()
    starts, ends = [], []
    for day in sorted(set(days)):
        since = datetime.combine(day, time.min, tzinfo=zone)
        until = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        if ends and ends[-1] == since:
            ends[-1] = until
        else:
            starts.append(since)
            ends.append(until)
    params = {}
    for n, (since, until) in enumerate(zip(starts, ends, strict=True)):
        params[f"since_{n}"], params[f"until_{n}"] = since, until
    return params


def summaries_rebuild_days(days) -> int:
    """Recompute the summary rows of these business days from the timers (delete, then insert); returns the
    rows written. The caller holds the refresh lock in its transaction."""
    days = sorted(set(days))
    if not days:
        return 0
    ranges = day_ranges(days)
    params = {"tz": settings.TIME_ZONE, "days": days, **ranges}
    with connection.cursor() as cursor:
        # The plan is an index range per metric and day range; compiling it (JIT) would cost more than it runs.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("DELETE FROM tickets_sladaysummary WHERE day = ANY(%(days)s::date[])", params)
        cursor.execute(
            "INSERT INTO tickets_sladaysummary "
            "(day, metric_id, dimension, key, met, breached, not_needed, done, minutes, levels) "
            + grouped_sql([ALL, *DIMENSION_KEYS], ranges=len(ranges) // 2),
            params,
        )
        return cursor.rowcount


def _days_of_hours(hours) -> set[date]:
    """The business days an hour of stops [h, h + 1 h) touches (two, in a zone offset by half an hour)."""
    zone = business_zone()
    days = set()
    for hour in hours:
        days.add(hour.astimezone(zone).date())
        days.add((hour + timedelta(minutes=59, seconds=59)).astimezone(zone).date())
    return days


@dataclass
class RefreshResult:
    days: int = 0
    rows: int = 0
    batches: int = 0


def sla_summaries_refresh(*, full: bool = False, batch_days: int = 31, max_batches: int | None = None) -> RefreshResult:
    """Recompute the days recorded as changed, ``batch_days`` of them (the earliest first) per transaction,
    until none is left (or ``max_batches`` ran). ``full`` first records every day that has stopped timers
    (and drops every summary row), e.g. after ``TIME_ZONE`` changed. Idempotent; runs never overlap (an
    advisory lock: a run finding another at work stops); a failed batch rolls back and leaves its days
    recorded."""
    result = RefreshResult()
    if full:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
            cursor.execute("DELETE FROM tickets_sladaysummary")
            cursor.execute(
                "INSERT INTO tickets_slasummarychange (hour) SELECT DISTINCT date_trunc('hour', stopped_at) "
                "FROM tickets_timer WHERE stopped_at IS NOT NULL"
            )
    while max_batches is None or result.batches < max_batches:
        with transaction.atomic(), connection.cursor() as cursor:
            # A run that finds another at work leaves the days to it (no worker waits on the lock).
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK])
            if not cursor.fetchone()[0]:
                break
            cursor.execute("SELECT min(hour) FROM tickets_slasummarychange")
            first = cursor.fetchone()[0]
            if first is None:
                break
            # The changes of the next ``batch_days`` days; what is written meanwhile stays for the next run.
            cursor.execute(
                "DELETE FROM tickets_slasummarychange WHERE hour < %s RETURNING hour",
                [first + timedelta(days=batch_days)],
            )
            days = _days_of_hours({row[0] for row in cursor.fetchall()})
            result.rows += summaries_rebuild_days(days)
            result.days += len(days)
            result.batches += 1
    if result.days:
        logger.info("SLA summaries: %s days recomputed (%s rows)", result.days, result.rows)
    return result


# -- reading -------------------------------------------------------------------------------------------


def set_dimensions(filters: DashboardFilters) -> list[str]:
    return [name for name in filters.DIMENSIONS if getattr(filters, name) not in ("", None)]


def usable(*, user, filters: DashboardFilters, group: str | None = None) -> bool:
    """Whether the summaries can serve these filters: the viewer sees every case, no customer filter, at
    most one dimension filter; for a breakdown by ``group``, no filter but on that dimension."""
    if not settings.DASHBOARD_SUMMARIES or not viewer(user).everything:
        return False
    named = set_dimensions(filters)
    if "customer" in named or len(named) > 1:
        return False
    if group is not None:
        return group in DIMENSION_KEYS and (not named or named == [group])
    return True


def changed_days(filters: DashboardFilters) -> list[date]:
    """The period's days recorded as changed and not recomputed yet (read live): one probe of the index."""
    rows = _fetch(
        "SELECT DISTINCT hour FROM tickets_slasummarychange WHERE hour >= %(since)s AND hour < %(until)s",
        {"since": filters.start_at - timedelta(hours=1), "until": filters.end_at},
    )
    return sorted(day for day in _days_of_hours(row[0] for row in rows) if filters.start <= day <= filters.end)


def source(filters: DashboardFilters, *, group: str | None = None, dirty=()) -> tuple[str, dict, str]:
    """The CTE ``src`` of a figure's statement, its parameters and the session settings it needs. ``src`` is
    the period's summary rows for these filters: those of the clean days read from the table, those of the
    ``dirty`` days (changed since the last refresh) computed live from the timers in the same statement.
    Rows carry ``day, metric_id, key, met, breached, not_needed, done, minutes, levels``; ``key`` is the value
    of ``group`` (a breakdown) or of the filtered dimension."""
    named = set_dimensions(filters)
    dimension = group or (named[0] if named else ALL)
    params = {"start": filters.start, "end": filters.end, "dimension": dimension}
    keys_sql = ""
    if named:
        params["value"] = str(getattr(filters, named[0]))
        keys_sql = FILTER_KEYS[named[0]].replace("%s", "%(value)s")
    columns = "day, metric_id, key, met, breached, not_needed, done, minutes, levels"
    summary = (
        f"SELECT {columns} FROM tickets_sladaysummary "
        "WHERE dimension = %(dimension)s AND day >= %(start)s AND day <= %(end)s "
        + (f"AND key = ANY({keys_sql})" if keys_sql else ("AND key = ''" if dimension == ALL else ""))
    )
    if not dirty:
        return f"src AS ({summary})", params, ""
    ranges = day_ranges(dirty)
    params.update(ranges, dirty=list(dirty), tz=settings.TIME_ZONE)
    live = grouped_sql([dimension], ranges=len(ranges) // 2, keys_sql=keys_sql, changed=True)
    return (
        f"src AS ({summary} AND day <> ALL(%(dirty)s::date[]) UNION ALL SELECT {columns} FROM ({live}) live)",
        params,
        JIT_OFF,
    )


# Whether anything was recorded as changed around the period, answered by the figure's own statement (a last
# column), so a figure of clean days takes one round trip.
CHANGED = """changed AS MATERIALIZED (SELECT 1 FROM tickets_slasummarychange
    WHERE hour >= %(probe_since)s AND hour < %(probe_until)s LIMIT 1)"""


def figure_rows(filters: DashboardFilters, select: str, *, group: str | None = None, session: str = "") -> list:
    """A figure's rows: ``select`` reads the CTE ``src`` (source) and ends its select list with ``{changed}``.
    First from the summaries alone, telling whether changes were recorded around the period; if they were,
    again with the period's changed days read live."""
    cte, params, _ = source(filters, group=group)
    params.update(probe_since=filters.start_at - timedelta(hours=1), probe_until=filters.end_at)
    statement = select.replace("{changed}", "(SELECT count(*) FROM changed) AS changed")
    rows = _fetch(f"WITH {CHANGED}, {cte} {statement}", params, session)
    if rows and rows[0][-1] == 0:
        return [row[:-1] for row in rows]
    dirty = changed_days(filters)
    if not dirty:
        return [row[:-1] for row in rows]
    cte, params, extra = source(filters, group=group, dirty=dirty)
    return [row[:-1] for row in _fetch(f"WITH {cte} {select.replace('{changed}', '0')}", params, session + extra)]


# Set for a statement in the same round trip (until the end of the request's transaction, if any). JIT off
# where the changed days are read live: the planner prices that branch for more rows than a day has, and
# compiling it would cost more than running it. Memory for the percentiles' sort of a period's business
# minutes (a month at a million cases: about 100,000 values a metric), so it stays in memory.
JIT_OFF = "SET LOCAL jit = off; "
SORT_MEMORY = "SET LOCAL work_mem = '32MB'; "


def _fetch(sql: str, params: dict, session: str = "") -> list[tuple]:
    """Run a statement where the dashboards read (the replica when the view opted in)."""
    with connections[router.db_for_read(SLADaySummary) or DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(session + sql, params)
        return cursor.fetchall()


def compliance_rows(filters: DashboardFilters) -> dict[int, dict]:
    """Per metric id: met, breached, not_needed, done, median, p90 of the period."""
    rows = figure_rows(
        filters,
        """SELECT c.metric_id, c.met, c.breached, c.not_needed, c.done, p.median, p.p90, {changed}
             FROM (SELECT metric_id, sum(met)::int AS met, sum(breached)::int AS breached,
                          sum(not_needed)::int AS not_needed, sum(done)::int AS done FROM src GROUP BY metric_id) c
             LEFT JOIN (SELECT src.metric_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY m) AS median,
                               percentile_cont(0.9) WITHIN GROUP (ORDER BY m) AS p90
                          FROM src, unnest(src.minutes) m GROUP BY src.metric_id) p ON p.metric_id = c.metric_id""",
        session=SORT_MEMORY,
    )
    keys = ("met", "breached", "not_needed", "done", "median", "p90")
    return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in rows}


def level_rows(filters: DashboardFilters) -> list[tuple[str, int, int]]:
    """(metric code, level, breaches) of the period, by metric and level."""
    return figure_rows(
        filters,
        """SELECT m.code, l.level, count(*)::int AS n, {changed}
             FROM src CROSS JOIN LATERAL unnest(src.levels) l(level) JOIN tickets_slametric m ON m.id = src.metric_id
            GROUP BY src.metric_id, m.code, l.level ORDER BY src.metric_id, l.level""",
    )


TRUNC = {"day": "day", "week": "week", "month": "month"}


def trend_rows(filters: DashboardFilters) -> list[tuple[date, str, int, int]]:
    """(bucket's first day, metric code, met, breached) per day / week / month with any."""
    return figure_rows(
        filters,
        f"""SELECT date_trunc('{TRUNC[filters.by]}', src.day::timestamp)::date AS bucket, m.code,
                   sum(src.met)::int AS met, sum(src.breached)::int AS breached, {{changed}}
              FROM src JOIN tickets_slametric m ON m.id = src.metric_id
             GROUP BY bucket, src.metric_id, m.code HAVING sum(src.met) + sum(src.breached) > 0
             ORDER BY bucket, src.metric_id""",
    )


def breakdown_rows(filters: DashboardFilters, *, group: str, limit: int) -> list[dict]:
    """Per value of ``group`` (its code), the busiest ``limit`` first: total, and (met, breached) per metric
    code — every metric, in id order."""
    if group in KEY_LABELS:
        table, column = KEY_LABELS[group]
        label, join = f"v.{column}", f"LEFT JOIN {table} v ON v.id = src.key::bigint"
    else:
        label, join = "src.key", ""
    rows = figure_rows(
        filters,
        f""", per AS (SELECT {label} AS label, src.metric_id, sum(src.met)::int AS met,
                             sum(src.breached)::int AS breached
                        FROM src {join} GROUP BY 1, src.metric_id),
              ranked AS (SELECT label, sum(met + breached)::int AS total FROM per GROUP BY label
                          HAVING sum(met + breached) > 0 ORDER BY total DESC, label LIMIT {int(limit)})
            SELECT r.label, r.total, m.code, coalesce(p.met, 0), coalesce(p.breached, 0), {{changed}}
              FROM ranked r CROSS JOIN tickets_slametric m
              LEFT JOIN per p ON p.label IS NOT DISTINCT FROM r.label AND p.metric_id = m.id
             ORDER BY r.total DESC, r.label, m.id""",
        group=group,
    )
    result = []
    for label, total, code, met, breached in rows:
        if not result or result[-1]["key"] != label or result[-1]["total"] != total:
            result.append({"key": label, "total": total, "counts": {}})
        result[-1]["counts"][code] = (met, breached)
    return result
