"""A settlement statement as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese)
and as XLSX."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from claims.models import SettlementStatement


def headers() -> list[str]:
    return [
        _("Claim"),
        _("Serial number / VIN"),
        _("Line"),
        _("Kind"),
        _("Description"),
        _("Claimed"),
        _("Settled"),
        _("Reason"),
    ]


def title_rows(statement: SettlementStatement) -> list[list]:
    return [
        [_("三包费用核销通知 (settlement statement)"), statement.number],
        [_("Dealer"), f"{statement.dealer.code} {statement.dealer.name}"],
        [_("Decided up to"), statement.period_end.isoformat()],
        [_("Total"), statement.total],
    ]


def statement_csv(statement: SettlementStatement, rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in title_rows(statement):
        writer.writerow(row)
    writer.writerow([])
    writer.writerow(headers())
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def statement_xlsx(statement: SettlementStatement, rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = statement.number[:31]
    for row in title_rows(statement):
        sheet.append(row)
    sheet.append([])
    sheet.append(headers())
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        # Money stays exact: openpyxl writes Decimal as a number; show two decimals.
        for cell in sheet[sheet.max_row][5:7]:
            cell.number_format = "0.00"
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 22
    sheet.column_dimensions["E"].width = 30
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
