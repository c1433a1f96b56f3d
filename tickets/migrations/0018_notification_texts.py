from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0017_ticket_next_due_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="texts",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="The title and text in each language of the product; shown in the reader's language.",
                verbose_name="texts per language",
            ),
        ),
    ]
