"""SLA dashboard selectors: compliance, business times, escalation levels, trends, open cases, the at-risk
list and loaners — aggregated in PostgreSQL, scoped to the user who asks.

What a figure counts (tickets.services.timers says what each timer outcome means):

- A period's **met** and **breached** are the timers that *stopped* in it (``stopped_at``, business dates in
  ``settings.TIME_ZONE``) as met in time, or late / owed and never given. **Compliance** is met ÷ (met +
  breached). ``not_needed`` (a visit a case never needed) and ``cancelled`` are left out of it; the
  not-needed count is shown beside so nobody wonders where those timers went.
- **Open past due** and **open at risk** are live: timers of open cases whose deadline has passed, or falls
  within the next ``risk_hours``, right now.
- **Business times** (median, 90th percentile) are ``percentile_cont`` over the business minutes the
  timers that were met (in time or late) used, on the policy calendar with pauses left out.
- A breach's **escalation level** is the highest ladder step fired for its timer (0: none).

The period figures (met, breached, not needed, business times, levels, trend, breakdown) are read from the
maintained day summaries where they can serve the filters (tickets.dashboards.summaries: the same numbers,
days changed since the last refresh read live), else aggregated live (``live=True`` forces it); open and
at-risk figures are always live.

Each condition below is shared with the drill-down (tickets.dashboards.drilldown), so the cases listed
behind a figure are exactly the ones it counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Case, Count, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek

from aftersales.dates import business_zone
from aftersales.labels import shown_name
from aftersales.models import full_name
from aftersales.scoping import scope_for
from tickets import transitions
from tickets.dashboards import summaries
from tickets.dashboards.filters import DashboardFilters, Granularity
from tickets.dashboards.sql import PercentileCont
from tickets.models import Escalation, Loaner, SLAMetric, Ticket, Timer

MET = Timer.State.MET
BREACHED = Timer.State.BREACHED
AT_RISK_LIST_SIZE = 100

# Open cases by the state of their most pressing timer, worst first.
OPEN_STATES = ("past_due", "at_risk", "on_track", "paused", "no_timer")


# -- conditions shared with the drill-down -------------------------------------------------------------


def stopped_in(filters: DashboardFilters, prefix: str = "") -> Q:
    return Q(**{f"{prefix}stopped_at__gte": filters.start_at, f"{prefix}stopped_at__lt": filters.end_at})


def outcome_q(outcome: str, prefix: str = "") -> Q:
    """``met`` in time, ``breached`` (late or owed), ``not_needed``: stopped timers by how they ended."""
    return Q(**{f"{prefix}state": outcome, f"{prefix}stopped_at__isnull": False})


def past_due_q(now: datetime, prefix: str = "") -> Q:
    """Open and past its deadline (breached by the sweep, or not swept yet)."""
    return Q(**{f"{prefix}stopped_at__isnull": True}) & (
        Q(**{f"{prefix}state": BREACHED}) | Q(**{f"{prefix}state": Timer.State.RUNNING, f"{prefix}due_at__lt": now})
    )


def at_risk_q(now: datetime, hours: int, prefix: str = "") -> Q:
    """Running and due within the next ``hours``."""
    return Q(
        **{
            f"{prefix}state": Timer.State.RUNNING,
            f"{prefix}due_at__gte": now,
            f"{prefix}due_at__lt": now + timedelta(hours=hours),
        }
    )


def escalation_level():
    """The highest ladder step fired for the timer (0 when none was)."""
    top = Escalation.objects.filter(timer=OuterRef("pk")).order_by("-step__order").values("step__order")[:1]
    return Coalesce(Subquery(top), Value(0))


def open_state_rank(now: datetime, risk_hours: int) -> Subquery:
    """The state of a case's most pressing timer as a rank, worst first: 1 past due, 2 at risk, 3 on track
    (running), 4 paused, NULL when it has none of those. One correlated ``min(CASE …)`` over the case's
    timers: a single probe of the (ticket, metric) index per case, where four EXISTS would take four (or
    hash every breached timer of every case ever)."""
    rank = Case(
        When(past_due_q(now), then=Value(1)),
        When(at_risk_q(now, risk_hours), then=Value(2)),
        When(state=Timer.State.RUNNING, then=Value(3)),
        When(state=Timer.State.PAUSED, then=Value(4)),
        output_field=IntegerField(),
    )
    # Only timers not stopped can be running, paused or past due (the model's constraint): the open timers'
    # partial index answers from the index alone.
    worst = (
        Timer.objects.filter(ticket_id=OuterRef("pk"), stopped_at__isnull=True)
        .order_by()
        .values("ticket_id")
        .annotate(rank=Min(rank))
        .values("rank")
    )
    return Subquery(worst, output_field=IntegerField())


def open_case_states(tickets: QuerySet[Ticket], *, now: datetime, risk_hours: int) -> QuerySet[Ticket]:
    """Open cases annotated with the rank of their most pressing timer (``open_state_rank``)."""
    return tickets.filter(status__in=transitions.OPEN_STATUSES).annotate(
        open_state_rank=open_state_rank(now, risk_hours)
    )


OPEN_STATE_RANK = {"past_due": 1, "at_risk": 2, "on_track": 3, "paused": 4, "no_timer": None}
OPEN_STATE_Q = {
    state: Q(open_state_rank__isnull=True) if rank is None else Q(open_state_rank=rank)
    for state, rank in OPEN_STATE_RANK.items()
}


# -- scoped sources ------------------------------------------------------------------------------------


def case_scope(*, user, filters: DashboardFilters) -> QuerySet[Ticket]:
    """The cases the user may see that match the dimension filters."""
    return scope_for(user, Ticket.objects.filter(filters.ticket_q()))


def timer_scope(*, user, filters: DashboardFilters) -> QuerySet[Timer]:
    """The timers of those cases."""
    return scope_for(user, Timer.objects.filter(filters.ticket_q("ticket__")))


def metrics() -> list[SLAMetric]:
    return list(SLAMetric.objects.order_by("id"))


def _rate(met: int, breached: int) -> float | None:
    return None if met + breached == 0 else round(100 * met / (met + breached), 1)


# -- figures -------------------------------------------------------------------------------------------


def sla_compliance(*, user, filters: DashboardFilters, now: datetime, live: bool = False) -> list[dict]:
    """Per metric: met, breached, compliance %, not needed (excluded), open past due, open at risk, and the
    median / 90th-percentile business minutes of the work done. Two queries: the period's stopped timers
    (one scan through the (metric, stopped_at) index) and the live timers of open cases."""
    timers = timer_scope(user=user, filters=filters)
    all_metrics = metrics()
    ids = [metric.pk for metric in all_metrics]
    if not live and summaries.usable(user=user, filters=filters):
        period = summaries.compliance_rows(filters)
    else:
        period = _live_compliance_period(timers, filters, ids)
    live_rows = {
        row["metric_id"]: row
        for row in timers.filter(ticket__status__in=transitions.OPEN_STATUSES, stopped_at__isnull=True)
        .values("metric_id")
        .annotate(
            # Counted on ``state`` (never NULL), not the id: the open timers' index covers every column read
            # here but the id, so the count needs no visit to the table.
            past_due=Count("state", filter=past_due_q(now)),
            at_risk=Count("state", filter=at_risk_q(now, filters.risk_hours)),
        )
        .order_by()
    }
    return _compliance_rows(all_metrics, period, live_rows)


def _live_compliance_period(timers: QuerySet[Timer], filters: DashboardFilters, ids: list[int]) -> dict[int, dict]:
    done = Q(met_at__isnull=False)
    return {
        row["metric_id"]: row
        for row in timers.filter(stopped_in(filters), metric_id__in=ids)
        .values("metric_id")
        .annotate(
            met=Count("pk", filter=Q(state=MET)),
            breached=Count("pk", filter=Q(state=BREACHED)),
            not_needed=Count("pk", filter=Q(state=Timer.State.NOT_NEEDED)),
            done=Count("pk", filter=done),
            median=PercentileCont("business_minutes", 0.5, filter=done),
            p90=PercentileCont("business_minutes", 0.9, filter=done),
        )
        .order_by()
    }


def _compliance_rows(all_metrics: list[SLAMetric], period: dict, live: dict) -> list[dict]:
    rows = []
    for metric in all_metrics:
        figures = period.get(metric.pk, {})
        now_figures = live.get(metric.pk, {})
        met, breached = figures.get("met", 0), figures.get("breached", 0)
        rows.append(
            {
                "metric": metric.code,
                "metric_name": metric.label,
                "met": met,
                "breached": breached,
                "compliance": _rate(met, breached),
                "not_needed": figures.get("not_needed", 0),
                "done": figures.get("done", 0),
                "median_minutes": _minutes(figures.get("median")),
                "p90_minutes": _minutes(figures.get("p90")),
                "past_due": now_figures.get("past_due", 0),
                "at_risk": now_figures.get("at_risk", 0),
            }
        )
    return rows


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def sla_levels(*, user, filters: DashboardFilters, live: bool = False) -> list[dict]:
    """Breaches of the period per metric and the escalation level they reached: ``[{metric, level, count}]``."""
    if not live and summaries.usable(user=user, filters=filters):
        return [{"metric": code, "level": level, "count": n} for code, level, n in summaries.level_rows(filters)]
    timers = timer_scope(user=user, filters=filters)
    rows = (
        timers.filter(stopped_in(filters), state=BREACHED)
        .annotate(level=escalation_level())
        .values("metric__code", "level")
        .annotate(count=Count("pk"))
        .order_by("metric_id", "level")
    )
    return [{"metric": row["metric__code"], "level": row["level"], "count": row["count"]} for row in rows]


TRUNCATE = {Granularity.DAY: TruncDay, Granularity.WEEK: TruncWeek, Granularity.MONTH: TruncMonth}


def sla_trend(*, user, filters: DashboardFilters, live: bool = False) -> list[dict]:
    """Met and breached per day, week or month (of ``stopped_at`` in the business zone) and metric."""
    if not live and summaries.usable(user=user, filters=filters):
        return [
            {"bucket": bucket, "metric": code, "met": met, "breached": breached, "compliance": _rate(met, breached)}
            for bucket, code, met, breached in summaries.trend_rows(filters)
        ]
    bucket = TRUNCATE[filters.by]("stopped_at", tzinfo=business_zone())
    rows = (
        timer_scope(user=user, filters=filters)
        .filter(stopped_in(filters), state__in=[MET, BREACHED])
        .annotate(bucket=bucket)
        .values("bucket", "metric__code")
        .annotate(met=Count("pk", filter=Q(state=MET)), breached=Count("pk", filter=Q(state=BREACHED)))
        .order_by("bucket", "metric_id")
    )
    return [
        {
            "bucket": row["bucket"].astimezone(business_zone()).date(),
            "metric": row["metric__code"],
            "met": row["met"],
            "breached": row["breached"],
            "compliance": _rate(row["met"], row["breached"]),
        }
        for row in rows
    ]


def sla_open_states(*, user, filters: DashboardFilters, now: datetime) -> dict[str, int]:
    """Open cases (any report date) by the state of their most pressing timer, right now. One query: the
    open cases grouped by that state's rank (one correlated lookup of each case's timers), at most five
    groups."""
    cases = open_case_states(case_scope(user=user, filters=filters), now=now, risk_hours=filters.risk_hours)
    counts = {
        row["open_state_rank"]: row["n"] for row in cases.values("open_state_rank").annotate(n=Count("pk")).order_by()
    }
    return {state: counts.get(rank, 0) for state, rank in OPEN_STATE_RANK.items()}


def sla_at_risk(*, user, filters: DashboardFilters, now: datetime, limit: int = AT_RISK_LIST_SIZE) -> list[dict]:
    """Running timers that breach within ``risk_hours``, the nearest deadline first (the partial index on
    running timers' ``due_at`` serves it); only the columns the list shows."""
    rows = (
        timer_scope(user=user, filters=filters)
        .filter(at_risk_q(now, filters.risk_hours))
        .order_by("due_at", "id")
        .values(
            "ticket_id",
            "due_at",
            "metric__code",
            "metric__name",
            "ticket__number",
            "ticket__severity__name",
            "ticket__severity__code",
            "ticket__assigned_engineer__username",
            "ticket__assigned_engineer__first_name",
            "ticket__assigned_engineer__last_name",
            "ticket__serving_outlet__code",
            "ticket__customer__name",
        )[:limit]
    )
    # Names of the few metrics and severities, each looked up once for the whole list.
    metric_names, severity_names = {}, {}
    result = []
    for row in rows:
        metric, severity = row["metric__code"], row["ticket__severity__code"]
        if metric not in metric_names:
            metric_names[metric] = shown_name(row["metric__name"], "metric", metric)
        if severity not in severity_names:
            severity_names[severity] = shown_name(row["ticket__severity__name"], "severity", severity)
        username = row["ticket__assigned_engineer__username"]
        engineer = ""
        if username:
            first, last = row["ticket__assigned_engineer__first_name"], row["ticket__assigned_engineer__last_name"]
            engineer = full_name(first, last) or username
        result.append(
            {
                "ticket_id": row["ticket_id"],
                "number": row["ticket__number"],
                "metric": metric,
                "metric_name": metric_names[metric],
                "due_at": row["due_at"],
                "minutes_left": int((row["due_at"] - now).total_seconds() // 60),
                "severity": severity_names[severity],
                "engineer": engineer,
                "outlet": row["ticket__serving_outlet__code"] or "",
                "customer": row["ticket__customer__name"] or "",
            }
        )
    return result


def sla_loaners(*, user, filters: DashboardFilters) -> dict[str, int]:
    """Substitute units lent and returned in the period, and out now."""
    loaners = scope_for(user, Loaner.objects.filter(filters.ticket_q("ticket__")))
    return loaners.aggregate(
        issued=Count("pk", filter=Q(lent_at__gte=filters.start_at, lent_at__lt=filters.end_at)),
        returned=Count("pk", filter=Q(returned_at__gte=filters.start_at, returned_at__lt=filters.end_at)),
        out_now=Count("pk", filter=Q(returned_at__isnull=True)),
    )


BREAKDOWNS = {
    "severity": "ticket__severity__code",
    "channel": "ticket__channel",
    "province": "ticket__site__province",
    "outlet": "ticket__serving_outlet__code",
    "engineer": "ticket__assigned_engineer__username",
    "product_line": "ticket__unit__product_model__product_line__code",
    "sla_policy": "ticket__sla_policy__code",
}
BREAKDOWN_SIZE = 50


def sla_breakdown(
    *, user, filters: DashboardFilters, by: str, limit: int = BREAKDOWN_SIZE, live: bool = False
) -> list[dict]:
    """Compliance per metric for each value of a dimension (severity, channel, province, outlet, engineer,
    product line, SLA policy), the busiest first: one row per value, one pair of counts per metric."""
    if not live and summaries.usable(user=user, filters=filters, group=by):
        return [
            {
                "key": row["key"] if row["key"] is not None else "",
                "total": row["total"],
                "metrics": {
                    code: {"met": met, "breached": breached, "compliance": _rate(met, breached)}
                    for code, (met, breached) in row["counts"].items()
                },
            }
            for row in summaries.breakdown_rows(filters, group=by, limit=limit)
        ]
    path = BREAKDOWNS[by]
    codes = {metric.pk: metric.code for metric in metrics()}
    counts = {}
    for metric_id, code in codes.items():
        counts[f"{code}__met"] = Count("pk", filter=Q(metric_id=metric_id, state=MET))
        counts[f"{code}__breached"] = Count("pk", filter=Q(metric_id=metric_id, state=BREACHED))
    rows = (
        timer_scope(user=user, filters=filters)
        .filter(stopped_in(filters), state__in=[MET, BREACHED])
        .values(key=F(path))
        .annotate(total=Count("pk"), **counts)
        .order_by("-total", "key")[:limit]
    )
    result = []
    for row in rows:
        entry = {"key": row["key"] if row["key"] is not None else "", "total": row["total"], "metrics": {}}
        for code in codes.values():
            met, breached = row[f"{code}__met"], row[f"{code}__breached"]
            entry["metrics"][code] = {"met": met, "breached": breached, "compliance": _rate(met, breached)}
        result.append(entry)
    return result


def sla_headline(*, user, filters: DashboardFilters, now: datetime) -> dict:
    """What a manager's home page shows: compliance per metric, open past due and at risk, loaners out."""
    compliance = sla_compliance(user=user, filters=filters, now=now)
    met = sum(row["met"] for row in compliance)
    breached = sum(row["breached"] for row in compliance)
    return {
        "compliance": compliance,
        "overall": _rate(met, breached),
        "past_due": sum(row["past_due"] for row in compliance),
        "at_risk": sum(row["at_risk"] for row in compliance),
        "loaners_out": sla_loaners(user=user, filters=filters)["out_now"],
    }
