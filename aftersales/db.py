"""Database helpers shared by every app."""

from __future__ import annotations

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
