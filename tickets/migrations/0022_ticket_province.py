"""The case's province on its own row (its site's province, filled for the cases opened before), with the
indexes the lists' province filter (alone or with a severity) reads in their order (newest first)."""

from django.db import migrations, models

FILL = """
    UPDATE tickets_ticket t SET province = s.province
      FROM warranty_site s
     WHERE t.site_id = s.id AND s.province <> '' AND t.province = ''
"""


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0021_sla_summaries"),
        ("warranty", "0004_holiday_schedules"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="province",
            field=models.CharField(blank=True, db_default="", editable=False, max_length=64, verbose_name="province"),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("province", ""), _negated=True),
                fields=["province", "-reported_at", "-id"],
                name="ticket_province_reported",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("province", ""), _negated=True),
                fields=["province", "severity", "-reported_at", "-id"],
                name="ticket_province_severity",
            ),
        ),
    ]
