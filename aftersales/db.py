"""Database helpers shared by every app."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import migrations


class AppendOnly(migrations.RunSQL):
    """Make a table append-only in PostgreSQL: UPDATE and DELETE raise, so history cannot be rewritten.

    Use in the migration that creates a concrete :class:`aftersales.models.Event` subclass::

        AppendOnly("tickets_ticketevent")
    """

    def __init__(self, table: str):
        function = f"{table}_append_only"
        super().__init__(
            sql=[
                f"""
                CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
                END $$;
                """,
                f"""
                CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {function}();
                """,
            ],
            reverse_sql=[
                f"DROP TRIGGER IF EXISTS {function} ON {table};",
                f"DROP FUNCTION IF EXISTS {function}();",
            ],
        )


# Arrays as one parameter. psycopg2 adapts a Python list element by element into an ARRAY[…] expression,
# which the server then parses and plans node by node: for the 1,000-row columns of a set-based batch (ids,
# instants, texts) that costs milliseconds per column on each side. The literal below is one string the
# array type's input function reads in one pass; the SQL casts it (``%s::bigint[]``, ``%s::text[]``,
# ``%s::timestamptz[]``).


def int_array(values: Iterable[int | None]) -> str:
    """A PostgreSQL array literal (``{1,2,NULL}``) of integers."""
    return "{" + ",".join(["NULL" if value is None else f"{value:d}" for value in values]) + "}"


def text_array(values: Iterable[str | None]) -> str:
    """A PostgreSQL array literal of texts, each element quoted (backslash and double quote escaped), so any
    text goes through unchanged; None is NULL. Instants go as their ISO text (``timestamptz`` reads it)."""
    return "{" + ",".join(["NULL" if value is None else _quoted(value) for value in values]) + "}"


def _quoted(value: str) -> str:
    if "\\" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'
