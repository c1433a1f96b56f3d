"""A stamp that changes with every write to what an SLA policy's deadlines are computed from (the policy, its
severities, targets, distance bands, zones and ladder, the metrics, its calendar's windows and dates, and the
statutory schedules admins enter), kept by statement triggers so that no path of editing can miss it: the
admin, a service, a shell or a bulk update. Case intake reads it beside the policy in the same query and keeps
the policy's details per web process under it (tickets.services.sla_config)."""

from django.db import migrations

TABLES = [
    "tickets_slapolicy",
    "tickets_severity",
    "tickets_slatarget",
    "tickets_slametric",
    "tickets_distanceband",
    "tickets_regionzone",
    "tickets_escalationstep",
    "tickets_businesscalendar",
    "tickets_calendarwindow",
    "tickets_calendardate",
    "warranty_holidayschedule",
]

FORWARD = [
    """
    CREATE TABLE tickets_slaconfigstamp (
        id smallint PRIMARY KEY CHECK (id = 1),
        stamp uuid NOT NULL
    )
    """,
    "INSERT INTO tickets_slaconfigstamp (id, stamp) VALUES (1, gen_random_uuid())",
    # A new random value, never an increment: a stamp seen once is never seen again for other contents, even
    # after the table is emptied (a test flush) or a transaction that bumped it rolls back.
    """
    CREATE FUNCTION tickets_slaconfig_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO tickets_slaconfigstamp (id, stamp) VALUES (1, gen_random_uuid())
        ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
        RETURN NULL;
    END
    $$
    """,
    *(
        f"CREATE TRIGGER {table}_slaconfig_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION tickets_slaconfig_bump()"
        for table in TABLES
    ),
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {table}_slaconfig_bump ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS tickets_slaconfig_bump()",
    "DROP TABLE IF EXISTS tickets_slaconfigstamp",
]


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0022_ticket_province"),
        ("warranty", "0004_holiday_schedules"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
