"""Indexes for the search (tickets.search): trigram GIN indexes when the server offers pg_trgm (names and
phones match anywhere), btree ``text_pattern_ops`` indexes otherwise (prefix matches); case numbers and
serials always by prefix. A server without the extension (the embedded one) migrates cleanly."""

from django.db import migrations

ALWAYS = [
    ("ticket_number_prefix", "tickets_ticket", "number text_pattern_ops"),
    ("unit_serial_prefix", "warranty_unit", "serial text_pattern_ops"),
]
TRIGRAM = [
    ("customer_name_trgm", "warranty_customer", "UPPER(name) gin_trgm_ops"),
    ("customer_phone_trgm", "warranty_customer", "phone gin_trgm_ops"),
    ("ticket_reporter_trgm", "tickets_ticket", "UPPER(reporter_name) gin_trgm_ops"),
    ("ticket_phone_trgm", "tickets_ticket", "contact_phone gin_trgm_ops"),
]
PREFIX = [
    ("customer_name_prefix", "warranty_customer", "name text_pattern_ops"),
    ("customer_phone_prefix", "warranty_customer", "phone text_pattern_ops"),
    ("ticket_reporter_prefix", "tickets_ticket", "reporter_name text_pattern_ops"),
    ("ticket_phone_prefix", "tickets_ticket", "contact_phone text_pattern_ops"),
]


def create(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        trigram = cursor.fetchone() is not None
        if trigram:
            try:
                cursor.execute("SAVEPOINT search_trgm")
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute("RELEASE SAVEPOINT search_trgm")
            except Exception:  # offered but not ours to install (no privilege): the prefix indexes serve
                cursor.execute("ROLLBACK TO SAVEPOINT search_trgm")
                trigram = False
        for name, table, column in ALWAYS:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})")
        for name, table, column in TRIGRAM if trigram else PREFIX:
            method = "USING gin " if trigram else ""
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {method}({column})")


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name, _table, _column in ALWAYS + TRIGRAM + PREFIX:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0018_notification_texts"),
        ("warranty", "0003_repair_source"),
    ]

    operations = [migrations.RunPython(create, drop)]
