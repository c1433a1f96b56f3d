"""How a table cell shows on the page: numbers by their kind, times in the viewer's zone, and the link to
the cases behind the figure."""

from datetime import date, datetime

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html

from dashboards.sections.base import DATE, DATETIME, DECIMAL, HOURS, MINUTES, PERCENT, TEXT

register = template.Library()


def shown(value, kind: str) -> str:
    if value is None or value == "":
        return "—"
    if kind == PERCENT:
        return f"{formats.number_format(value, 1)} %"
    if kind in (MINUTES, HOURS, DECIMAL):
        return formats.number_format(value, 1 if kind != DECIMAL else 2)
    if kind == DATETIME and isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if kind == DATE and isinstance(value, date):
        return value.isoformat()
    return str(value)


@register.simple_tag
def cell(row, column):
    value = shown(row.values.get(column.key), column.kind)
    link = row.links.get(column.key)
    css = "" if column.kind == TEXT else "num"
    if link:
        return format_html('<td class="{}"><a href="{}" data-figure="{}">{}</a></td>', css, link, column.key, value)
    return format_html('<td class="{}">{}</td>', css, value)


@register.filter
def numeric(column) -> bool:
    return column.kind != TEXT
