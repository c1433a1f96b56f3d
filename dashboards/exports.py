"""The numbers behind the charts as files: one table as CSV, or a section (or one table) as an XLSX workbook
with a sheet per table. Cells keep their types (numbers stay numbers); times are shown in the viewer's zone,
like the page."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from dashboards.sections.base import SectionResult, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAME_LIMIT = 31  # Excel's limit on a sheet name
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A value as a spreadsheet cell: local times without zone (Excel keeps none), text never a formula."""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.startswith(FORMULA_START):
        # A customer name like "=HYPERLINK(…)" must stay text in the viewer's spreadsheet.
        return "'" + value
    if value is None or isinstance(value, int | float):
        return value
    return str(value)


def _csv_cell(value):
    value = cell(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def filename(result: SectionResult, table: Table | None, extension: str) -> str:
    parts = ["dashboard", result.key]
    if table is not None:
        parts.append(table.key)
    parts += [result.filters.start.isoformat(), result.filters.end.isoformat()]
    return "-".join(parts) + "." + extension


def table_csv(result: SectionResult, table: Table) -> HttpResponse:
    buffer = io.StringIO()
    # A byte-order mark, so spreadsheet programs read the Chinese labels as UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([str(column.label) for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(row.values.get(column.key)) for column in table.columns])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(result, table, "csv")}"'
    return response


def _sheet_title(table: Table, used: set[str]) -> str:
    title = "".join(char for char in str(table.title) if char not in "[]:*?/\\")[:SHEET_NAME_LIMIT] or table.key
    base, number = title, 2
    while title in used:
        suffix = f" {number}"
        title, number = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix, number + 1
    used.add(title)
    return title


def section_xlsx(result: SectionResult, tables: list[Table]) -> HttpResponse:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table, used))
        sheet.append([str(column.label) for column in table.columns])
        for header in sheet[1]:
            header.font = Font(bold=True)
        for row in table.rows:
            sheet.append([cell(row.values.get(column.key)) for column in table.columns])
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
                10, min(40, len(str(column.label)) * 2)
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    one = tables[0] if len(tables) == 1 else None
    response["Content-Disposition"] = f'attachment; filename="{filename(result, one, "xlsx")}"'
    return response
