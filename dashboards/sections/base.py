"""What a dashboard section is made of: tables of figures, each with the chart drawn from it and a link from
every figure to the cases behind it. The page, the API and the CSV / XLSX exports all render these same
tables, so they show the same numbers for the same filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.functional import Promise

from tickets.dashboards.filters import DashboardFilters
from tickets.models import Ticket

TEXT, INT, PERCENT, MINUTES, HOURS, DECIMAL, DATE, DATETIME = (
    "text",
    "int",
    "percent",
    "minutes",
    "hours",
    "decimal",
    "date",
    "datetime",
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: str = INT


@dataclass(frozen=True)
class Chart:
    """How the page draws a table: ``bar`` (grouped), ``stack`` (stacked bars), ``line`` or ``pie``; ``x`` is
    the column along the axis (or the pie's names), ``series`` the columns drawn. ``values`` draws the
    ``series`` columns of a one-row table as bars, one per column."""

    type: str
    x: str
    series: tuple[str, ...]


@dataclass
class Row:
    values: dict
    links: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    key: str
    title: str | Promise
    columns: list[Column]
    rows: list[Row]
    chart: Chart | None = None
    note: str | Promise = ""

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)


@dataclass
class SectionResult:
    key: str
    title: str | Promise
    filters: DashboardFilters
    generated_at: datetime
    tables: list[Table]

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)


@dataclass(frozen=True)
class Section:
    """A dashboard page: ``build(user=, filters=, now=)`` gives its tables; ``roles`` may open it;
    ``available()`` says whether the app that fills it is installed; ``fields`` the filters its figures
    take."""

    key: str
    title: str | Promise
    roles: frozenset[str]
    build: Callable[..., list[Table]]
    available: Callable[[], bool] = lambda: True
    # The filters that narrow its figures (the page shows only these; empty: every filter).
    fields: tuple[str, ...] = ()

    def result(self, *, user, filters: DashboardFilters, now: datetime) -> SectionResult:
        return SectionResult(self.key, self.title, filters, now, self.build(user=user, filters=filters, now=now))


ALL_STATUSES = [value for value, _label in Ticket.Status.choices]


def drill(filters: DashboardFilters, figure: str, **params) -> str:
    """The case queue listing the cases behind a figure, with the dashboard's dimension filters (and any
    ``params`` that narrow it to one row, e.g. ``severity="major"``). Every status: a period's figures count
    closed cases too."""
    query = [("status", status) for status in ALL_STATUSES]
    query.append(("figure", figure))
    dimensions = {**filters.dimension_params(), **{name: str(value) for name, value in params.items()}}
    query.extend(sorted(dimensions.items()))
    # Colons stay readable: a figure value is meant to be read and bookmarked.
    return f"{reverse('tickets:queue')}?{urlencode(query, safe=':')}"


def json_value(value):
    """A cell as JSON: dates and times as ISO text, the rest as is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    return value
