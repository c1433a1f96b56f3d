"""Drop the single-column indexes that a composite index already leads with (and the timers' metric one).

Each index is written by every insert and by every update that changes no column of a HOT-able kind: the
escalation sweep inserts escalations and case events and updates timers per batch.

- ``tickets_timer.ticket_id``: ``timer_unique_metric`` (ticket_id, metric_id) serves every lookup by case.
- ``tickets_timer.metric_id``: a handful of metrics; the dashboards read a metric's timers by stop time
  through ``timer_stopped`` (metric_id, stopped_at); only deleting a metric (protected) would scan.
- ``tickets_escalation.timer_id``: ``escalation_once_per_step`` (timer_id, step_id).
- ``tickets_ticketevent.ticket_id``: ``ticketevent_ticket_at`` (ticket_id, at).

Only the indexes are dropped; the foreign keys stay as they are (Django's own ALTER would drop and re-add
each constraint, validating it against the whole table).
"""

import django.db.models.deletion
from django.db import migrations, models

DROPPED = [
    ("tickets_escalation_timer_id_0f0dedb8", "tickets_escalation", "timer_id"),
    ("tickets_ticketevent_ticket_id_b572d14b", "tickets_ticketevent", "ticket_id"),
    ("tickets_timer_metric_id_b0bc38fb", "tickets_timer", "metric_id"),
    ("tickets_timer_ticket_id_d93eb88a", "tickets_timer", "ticket_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0023_sla_config_stamp"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in DROPPED
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="escalation",
                    name="timer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="escalations",
                        to="tickets.timer",
                        verbose_name="timer",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketevent",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="tickets.ticket",
                        verbose_name="case",
                    ),
                ),
                migrations.AlterField(
                    model_name="timer",
                    name="metric",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="timers",
                        to="tickets.slametric",
                        verbose_name="metric",
                    ),
                ),
                migrations.AlterField(
                    model_name="timer",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="timers",
                        to="tickets.ticket",
                        verbose_name="case",
                    ),
                ),
            ],
        ),
    ]
