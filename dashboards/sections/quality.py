"""The service-quality dashboard: follow-up calls and visits against plan, satisfaction per dimension,
outlet and engineer, complaints and their answer times, repeat repairs (tickets.dashboards.quality)."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dashboards.sections.base import DECIMAL, HOURS, INT, PERCENT, TEXT, Chart, Column, Row, Table, drill
from tickets.dashboards import quality
from tickets.dashboards.drilldown import figure
from tickets.dashboards.filters import DashboardFilters
from warranty.dashboards import REPEAT_WINDOWS


def followups_table(counts: dict, filters: DashboardFilters) -> Table:
    start, end = filters.start, filters.end
    return Table(
        key="followups",
        title=_("Follow-up calls against plan"),
        columns=[
            Column("planned", _("due in the period")),
            Column("on_time", _("done on time")),
            Column("late", _("done late")),
            Column("overdue", _("overdue")),
            Column("to_do", _("not due yet")),
            Column("on_time_rate", _("on time"), PERCENT),
        ],
        rows=[
            Row(
                {key: counts[key] for key in ("planned", "on_time", "late", "overdue", "to_do", "on_time_rate")},
                {
                    outcome: drill(filters, figure("followup", outcome, start, end))
                    for outcome in quality.FOLLOWUP_OUTCOMES
                },
            )
        ],
        chart=Chart("values", "", ("on_time", "late", "overdue", "to_do")),
        note=_("Calls due in the period; on time = done by the due time ÷ those due by now."),
    )


def visits_table(rows: list[dict], filters: DashboardFilters) -> Table:
    link = reverse("tickets:visits")
    return Table(
        key="visits",
        title=_("Visits and inspections against plan"),
        columns=[
            Column("kind_name", _("kind"), TEXT),
            Column("planned", _("due in the period")),
            Column("on_time", _("done by the due day")),
            Column("late", _("done later")),
            Column("overdue", _("overdue")),
            Column("upcoming", _("upcoming")),
            Column("done_rate", _("done"), PERCENT),
        ],
        rows=[
            Row(
                {key: row[key] for key in ("kind_name", "planned", "on_time", "late", "overdue", "upcoming")}
                | {"done_rate": row["done_rate"]},
                {"overdue": link},
            )
            for row in rows
        ],
        chart=Chart("stack", "kind_name", ("on_time", "late", "overdue", "upcoming")),
        note=_("Scheduled visits due in the period (only the outlet and engineer filters apply to visits)."),
    )


SURVEY_COLUMNS = [
    Column("answered", _("surveys")),
    Column("attitude_avg", _("service attitude"), DECIMAL),
    Column("quality_avg", _("repair quality"), DECIMAL),
    Column("solved_avg", _("fault solved"), DECIMAL),
    Column("runs_normally_rate", _("runs normally"), PERCENT),
    Column("satisfied_rate", _("satisfied (all 4–5)"), PERCENT),
    Column("complaints", _("complaints")),
]
SURVEY_KEYS = [column.key for column in SURVEY_COLUMNS]


def satisfaction_table(row: dict, filters: DashboardFilters) -> Table:
    return Table(
        key="satisfaction",
        title=_("Satisfaction per dimension"),
        columns=SURVEY_COLUMNS,
        rows=[
            Row(
                {key: row[key] for key in SURVEY_KEYS},
                {
                    "answered": drill(filters, figure("survey", filters.start, filters.end)),
                    "complaints": drill(filters, figure("complaint", "raised", filters.start, filters.end)),
                },
            )
        ],
        chart=Chart("values", "", ("attitude_avg", "quality_avg", "solved_avg")),
        note=_("Follow-up surveys done in the period: mean score (1–5) per dimension."),
    )


def satisfaction_by_table(rows: list[dict], filters: DashboardFilters, *, by: str) -> Table:
    label = _("outlet") if by == "outlet" else _("engineer")
    return Table(
        key=f"satisfaction_{by}",
        title=_("Satisfaction per %(group)s") % {"group": label},
        columns=[Column("key", label, TEXT), *SURVEY_COLUMNS],
        rows=[
            Row(
                {"key": row["key"] or "—"} | {key: row[key] for key in SURVEY_KEYS},
                {"answered": drill(filters, figure("survey", filters.start, filters.end), **{by: row["key"]})}
                if row["key"]
                else {},
            )
            for row in rows
        ],
        chart=Chart("bar", "key", ("attitude_avg", "quality_avg", "solved_avg")),
        note=_("The most surveyed %(n)s first.") % {"n": quality.GROUP_SIZE},
    )


def complaints_table(counts: dict, filters: DashboardFilters) -> Table:
    start, end = filters.start, filters.end
    outcomes = ("raised", *quality.COMPLAINT_OUTCOMES)
    return Table(
        key="complaints",
        title=_("Complaints and their answers"),
        columns=[
            Column("raised", _("raised")),
            Column("answered_on_time", _("answered on time")),
            Column("answered_late", _("answered late")),
            Column("open", _("not answered")),
            Column("open_overdue", _("not answered, past the deadline")),
            Column("on_time_rate", _("on time"), PERCENT),
            Column("median_hours", _("median answer time"), HOURS),
            Column("p90_hours", _("90th percentile"), HOURS),
        ],
        rows=[
            Row(
                {key: counts[key] for key in (*outcomes, "on_time_rate", "median_hours", "p90_hours")},
                {outcome: drill(filters, figure("complaint", outcome, start, end)) for outcome in outcomes},
            )
        ],
        chart=Chart("values", "", ("answered_on_time", "answered_late", "open_overdue")),
        note=_("Complaints from follow-up calls of the period; answer time in hours from the call."),
    )


def repeats_table(counts: dict, filters: DashboardFilters) -> Table:
    columns = [Column("repairs", _("repairs"), INT)]
    values = {"repairs": counts["repairs"]}
    links = {}
    for days in REPEAT_WINDOWS:
        columns.append(Column(f"within_{days}", _("repeat within %(days)s days") % {"days": days}))
        columns.append(Column(f"within_{days}_rate", _("share"), PERCENT))
        values[f"within_{days}"] = counts[f"within_{days}"]
        values[f"within_{days}_rate"] = counts[f"within_{days}_rate"]
        links[f"within_{days}"] = drill(filters, figure("repeat", days, filters.start, filters.end))
    return Table(
        key="repeats",
        title=_("Repeat repairs of the same fault on the same unit"),
        columns=columns,
        rows=[Row(values, links)],
        chart=Chart("values", "", tuple(f"within_{days}" for days in REPEAT_WINDOWS)),
        note=_("Repairs of the period whose unit had the same problem code repaired within the days before."),
    )


def build(*, user, filters: DashboardFilters, now: datetime) -> list[Table]:
    return [
        followups_table(quality.followups_against_plan(user=user, filters=filters, now=now), filters),
        visits_table(quality.visits_against_plan(user=user, filters=filters, now=now), filters),
        satisfaction_table(quality.satisfaction(user=user, filters=filters), filters),
        satisfaction_by_table(quality.satisfaction_by(user=user, filters=filters, by="outlet"), filters, by="outlet"),
        satisfaction_by_table(
            quality.satisfaction_by(user=user, filters=filters, by="engineer"), filters, by="engineer"
        ),
        complaints_table(quality.complaints(user=user, filters=filters, now=now), filters),
        repeats_table(quality.repeat_repairs(user=user, filters=filters), filters),
    ]
