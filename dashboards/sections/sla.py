"""The SLA dashboard: compliance per metric, business times, breaches by escalation level, trend, open cases
by SLA state, the at-risk list, loaners, and compliance by a dimension (tickets.dashboards.sla)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales import labels
from dashboards.sections.base import (
    DATE,
    DATETIME,
    MINUTES,
    PERCENT,
    TEXT,
    Chart,
    Column,
    Row,
    Table,
    drill,
)
from tickets.dashboards import sla
from tickets.dashboards.drilldown import figure
from tickets.dashboards.filters import GROUPS, DashboardFilters, Granularity

OPEN_STATE_LABELS = {
    "past_due": _("past due"),
    "at_risk": _("at risk"),
    "on_track": _("on track"),
    "paused": _("paused (waiting)"),
    "no_timer": _("no running timer"),
}


def _period(filters: DashboardFilters) -> tuple[date, date]:
    return filters.start, filters.end


def compliance_table(rows: list[dict], filters: DashboardFilters) -> Table:
    start, end = _period(filters)
    result = []
    for row in rows:
        code = row["metric"]
        result.append(
            Row(
                values={key: row[key] for key in ("metric_name", "met", "breached", "compliance", "not_needed")}
                | {"past_due": row["past_due"], "at_risk": row["at_risk"]},
                links={
                    "met": drill(filters, figure("met", code, start, end)),
                    "breached": drill(filters, figure("breached", code, start, end)),
                    "not_needed": drill(filters, figure("not_needed", code, start, end)),
                    "past_due": drill(filters, figure("past_due", code)),
                    "at_risk": drill(filters, figure("at_risk", code, filters.risk_hours)),
                },
            )
        )
    return Table(
        key="compliance",
        title=_("Compliance per metric"),
        columns=[
            Column("metric_name", _("metric"), TEXT),
            Column("met", _("met")),
            Column("breached", _("breached")),
            Column("compliance", _("compliance"), PERCENT),
            Column("not_needed", _("not needed (excluded)")),
            Column("past_due", _("open, past due now")),
            Column("at_risk", _("open, at risk now")),
        ],
        rows=result,
        chart=Chart("stack", "metric_name", ("met", "breached", "past_due", "at_risk")),
        note=_(
            "Met and breached: timers that stopped in the period. Compliance = met ÷ (met + breached); timers a "
            "case never needed are left out. Past due and at risk are open cases now."
        ),
    )


def times_table(rows: list[dict]) -> Table:
    return Table(
        key="times",
        title=_("Business time used (minutes)"),
        columns=[
            Column("metric_name", _("metric"), TEXT),
            Column("done", _("done")),
            Column("median_minutes", _("median"), MINUTES),
            Column("p90_minutes", _("90th percentile"), MINUTES),
        ],
        rows=[Row({key: row[key] for key in ("metric_name", "done", "median_minutes", "p90_minutes")}) for row in rows],
        chart=Chart("bar", "metric_name", ("median_minutes", "p90_minutes")),
        note=_("Business minutes on the policy calendar, pauses left out, of the work done in the period."),
    )


def levels_table(levels: list[dict], metric_rows: list[dict], filters: DashboardFilters) -> Table:
    start, end = _period(filters)
    top = max([row["level"] for row in levels] + [0])
    counts = {(row["metric"], row["level"]): row["count"] for row in levels}
    columns = [Column("metric_name", _("metric"), TEXT)] + [
        Column(f"level_{level}", _("no escalation") if level == 0 else _("level %(n)s") % {"n": level})
        for level in range(top + 1)
    ]
    rows = []
    for metric in metric_rows:
        code = metric["metric"]
        values = {"metric_name": metric["metric_name"]}
        links = {}
        for level in range(top + 1):
            values[f"level_{level}"] = counts.get((code, level), 0)
            links[f"level_{level}"] = drill(filters, figure("level", code, level, start, end))
        rows.append(Row(values, links))
    return Table(
        key="levels",
        title=_("Breaches by escalation level reached"),
        columns=columns,
        rows=rows,
        chart=Chart("stack", "metric_name", tuple(column.key for column in columns[1:])),
        note=_("The highest step of the escalation ladder fired for each breached timer of the period."),
    )


def buckets(filters: DashboardFilters) -> list[tuple[date, date]]:
    """The days, weeks (from Monday) or months of the period, each clipped to it: (first, last) days."""
    result = []
    if filters.by == Granularity.DAY:
        first = filters.start
    elif filters.by == Granularity.WEEK:
        first = filters.start - timedelta(days=filters.start.weekday())
    else:
        first = filters.start.replace(day=1)
    while first <= filters.end:
        if filters.by == Granularity.DAY:
            last = first
        elif filters.by == Granularity.WEEK:
            last = first + timedelta(days=6)
        else:
            last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        result.append((first, max(first, filters.start), min(last, filters.end)))
        first = last + timedelta(days=1)
    return result


def trend_table(trend: list[dict], metric_rows: list[dict], filters: DashboardFilters) -> Table:
    by_bucket = {(row["bucket"], row["metric"]): row for row in trend}
    codes = [row["metric"] for row in metric_rows]
    columns = [Column("bucket", _("from"), DATE)] + [
        Column(f"{row['metric']}", row["metric_name"], PERCENT) for row in metric_rows
    ]
    rows = []
    for key, first, last in buckets(filters):
        values = {"bucket": first}
        links = {}
        for code in codes:
            entry = by_bucket.get((key, code))
            values[code] = entry["compliance"] if entry else None
            if entry and entry["breached"]:
                links[code] = drill(filters, figure("breached", code, first, last))
        rows.append(Row(values, links))
    return Table(
        key="trend",
        title=_("Compliance trend"),
        columns=columns,
        rows=rows,
        chart=Chart("line", "bucket", tuple(codes)),
        note=_("Per day, week (from Monday) or month of the period; a figure links to that bucket's breaches."),
    )


def open_states_table(states: dict[str, int], filters: DashboardFilters) -> Table:
    return Table(
        key="open_states",
        title=_("Open cases by SLA state"),
        columns=[Column("state", _("state"), TEXT), Column("cases", _("cases"))],
        rows=[
            Row(
                {"state": OPEN_STATE_LABELS[state], "cases": states[state]},
                {"cases": drill(filters, figure("open", state, filters.risk_hours))},
            )
            for state in sla.OPEN_STATES
        ],
        chart=Chart("pie", "state", ("cases",)),
        note=_("Every open case, whenever reported, by its most pressing timer right now."),
    )


def at_risk_table(rows: list[dict], filters: DashboardFilters) -> Table:
    return Table(
        key="at_risk",
        title=_("At risk: deadlines within %(hours)s hours") % {"hours": filters.risk_hours},
        columns=[
            Column("number", _("case"), TEXT),
            Column("metric_name", _("metric"), TEXT),
            Column("due_at", _("due at"), DATETIME),
            Column("minutes_left", _("minutes left")),
            Column("severity", _("severity"), TEXT),
            Column("engineer", _("engineer"), TEXT),
            Column("outlet", _("outlet"), TEXT),
            Column("customer", _("customer"), TEXT),
        ],
        rows=[
            Row(
                {key: row[key] for key in ("number", "metric_name", "due_at", "minutes_left", "severity", "engineer")}
                | {"outlet": row["outlet"], "customer": row["customer"]},
                {"number": reverse("tickets:detail", args=[row["ticket_id"]])},
            )
            for row in rows
        ],
        note=_("Running deadlines, the nearest first (at most %(n)s).") % {"n": sla.AT_RISK_LIST_SIZE},
    )


def loaners_table(loaners: dict[str, int], filters: DashboardFilters) -> Table:
    start, end = _period(filters)
    return Table(
        key="loaners",
        title=_("Substitute units"),
        columns=[
            Column("issued", _("lent in the period")),
            Column("returned", _("returned in the period")),
            Column("out_now", _("out now")),
        ],
        rows=[Row(dict(loaners), {"issued": drill(filters, figure("loaner", start, end))})],
    )


def label_of(group: str, key) -> str:
    if group == "channel":
        from tickets.models import Ticket

        return str(dict(Ticket.Channel.choices).get(key, key or ""))
    return labels.label(group, key) if group == "severity" else (key or "")


def breakdown_table(rows: list[dict], metric_rows: list[dict], filters: DashboardFilters) -> Table:
    start, end = _period(filters)
    label = dict(GROUPS)[filters.group]
    columns = [Column("key", label, TEXT), Column("total", _("timers"))] + [
        Column(row["metric"], row["metric_name"], PERCENT) for row in metric_rows
    ]
    result = []
    for row in rows:
        # Codes (severity, channel) read as their labels; the link keeps the code.
        values = {"key": label_of(filters.group, row["key"]) or "—", "total": row["total"]}
        links = {}
        for metric in metric_rows:
            code = metric["metric"]
            figures = row["metrics"][code]
            values[code] = figures["compliance"]
            if figures["breached"] and row["key"]:
                links[code] = drill(filters, figure("breached", code, start, end), **{filters.group: row["key"]})
        result.append(Row(values, links))
    return Table(
        key="breakdown",
        title=_("Compliance by %(dimension)s") % {"dimension": label},
        columns=columns,
        rows=result,
        chart=Chart("bar", "key", tuple(row["metric"] for row in metric_rows)),
        note=_("The busiest %(n)s first; a figure links to the breaches behind it.") % {"n": sla.BREAKDOWN_SIZE},
    )


def build(*, user, filters: DashboardFilters, now: datetime) -> list[Table]:
    compliance = sla.sla_compliance(user=user, filters=filters, now=now)
    return [
        compliance_table(compliance, filters),
        open_states_table(sla.sla_open_states(user=user, filters=filters, now=now), filters),
        at_risk_table(sla.sla_at_risk(user=user, filters=filters, now=now), filters),
        times_table(compliance),
        levels_table(sla.sla_levels(user=user, filters=filters), compliance, filters),
        trend_table(sla.sla_trend(user=user, filters=filters), compliance, filters),
        breakdown_table(sla.sla_breakdown(user=user, filters=filters, by=filters.group), compliance, filters),
        loaners_table(sla.sla_loaners(user=user, filters=filters), filters),
    ]
