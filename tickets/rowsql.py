"""SQL pieces for list pages that read plain rows (the case list API and the queue page): a column by its
model's own names, and the values a row shows of its relations as subqueries of the page's statement."""

from __future__ import annotations

from django.db import connection
from django.db.models import CharField, TextField
from django.db.models.expressions import RawSQL


def column(model, field: str) -> str:
    """``"table"."column"`` of ``model``'s ``field``, quoted."""
    meta = model._meta
    return f"{connection.ops.quote_name(meta.db_table)}.{connection.ops.quote_name(meta.get_field(field).column)}"


def named(model, ticket_column: str, shown: str) -> RawSQL:
    """The ``shown`` SQL of the row of ``model`` the case's ``ticket_column`` points to (NULL when none)."""
    from tickets.models import Ticket

    table = connection.ops.quote_name(model._meta.db_table)
    return RawSQL(
        f"SELECT {shown} FROM {table} WHERE {column(model, model._meta.pk.name)} = {column(Ticket, ticket_column)}",
        (),
        output_field=CharField(),
    )


def as_text(sql: str) -> RawSQL:
    """A subquery's JSON as text, for orjson to decode (the ORM's JSON field would use the json module)."""
    return RawSQL(f"({sql})::text", (), output_field=TextField())
