"""A stamp that changes with every write to what coverage judges a unit by (the warranty policies, their
versions and the versions' component terms), kept by statement triggers so that no path of editing can miss
it: the admin, a service, a shell or a bulk update. Coverage reads it (beside the unit where the caller reads
the unit) and keeps each policy's versions and their terms per web process under it (warranty.coverage)."""

from django.db import migrations

TABLES = ["warranty_warrantypolicy", "warranty_policyversion", "warranty_policycomponentterm"]

FORWARD = [
    """
    CREATE TABLE warranty_policytermsstamp (
        id smallint PRIMARY KEY CHECK (id = 1),
        stamp uuid NOT NULL
    )
    """,
    "INSERT INTO warranty_policytermsstamp (id, stamp) VALUES (1, gen_random_uuid())",
    # A new random value, never an increment: a stamp seen once is never seen again for other contents, even
    # after the table is emptied (a test flush) or a transaction that bumped it rolls back.
    """
    CREATE FUNCTION warranty_policyterms_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO warranty_policytermsstamp (id, stamp) VALUES (1, gen_random_uuid())
        ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
        RETURN NULL;
    END
    $$
    """,
    *(
        f"CREATE TRIGGER {table}_policyterms_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION warranty_policyterms_bump()"
        for table in TABLES
    ),
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {table}_policyterms_bump ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS warranty_policyterms_bump()",
    "DROP TABLE IF EXISTS warranty_policytermsstamp",
]


class Migration(migrations.Migration):
    dependencies = [("warranty", "0004_holiday_schedules")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
