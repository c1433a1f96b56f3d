"""Shared by the pages, the API and the exports: reading the filters from the URL, computing a section, and
turning its tables into chart data and JSON."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from aftersales.dates import business_date
from dashboards.sections import section_get
from dashboards.sections.base import PERCENT, SectionResult, Table, json_value
from tickets.dashboards.filters import DashboardFilterForm


def filter_form(params, *, now: datetime | None = None) -> DashboardFilterForm:
    return DashboardFilterForm(params, today=business_date(now or timezone.now()))


def compute(key: str, *, user, form: DashboardFilterForm, now: datetime) -> SectionResult:
    """The section's figures for valid filters (``form.is_valid()`` checked by the caller)."""
    return section_get(key).result(user=user, filters=form.filters(), now=now)


def chart_data(table: Table) -> dict | None:
    """What the page's script hands to ECharts: category labels and one series per drawn column."""
    chart = table.chart
    if chart is None:
        return None
    percent = all(table.column(key).kind == PERCENT for key in chart.series)
    if chart.type == "values":
        first = table.rows[0].values if table.rows else {}
        return {
            "type": "bar",
            "categories": [str(table.column(key).label) for key in chart.series],
            "series": [{"name": str(table.title), "data": [json_value(first.get(key)) for key in chart.series]}],
            "percent": percent,
        }
    categories = [json_value(row.values.get(chart.x)) for row in table.rows]
    return {
        "type": chart.type,
        "categories": [str(value) if value is not None else "—" for value in categories],
        "series": [
            {"name": str(table.column(key).label), "data": [json_value(row.values.get(key)) for row in table.rows]}
            for key in chart.series
        ],
        "percent": percent,
    }


def table_json(table: Table) -> dict:
    return {
        "key": table.key,
        "title": str(table.title),
        "note": str(table.note),
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns],
        "rows": [{key: json_value(value) for key, value in row.values.items()} for row in table.rows],
        "links": [dict(row.links) for row in table.rows],
    }


def result_json(result: SectionResult) -> dict:
    return {
        "section": result.key,
        "title": str(result.title),
        "filters": result.filters.as_dict(),
        "generated_at": result.generated_at.isoformat(),
        "tables": [table_json(table) for table in result.tables],
    }
