"""The default escalation ladder of domain.md §3 on the default policy, for every metric."""

from django.db import migrations

LADDER = [
    (1, 75, "assignee", ""),
    (2, 100, "role", "service_manager"),
    (3, 150, "role", "department_manager"),
    (4, 200, "role", "general_manager"),
]


def install(apps, schema_editor):
    policy = apps.get_model("tickets", "SLAPolicy").objects.filter(code="DEFAULT", version=1).first()
    if policy is None:
        return
    step_model = apps.get_model("tickets", "EscalationStep")
    for order, share, recipient, role in LADDER:
        step_model.objects.create(policy=policy, order=order, share_percent=share, recipient=recipient, role=role)


def remove(apps, schema_editor):
    apps.get_model("tickets", "EscalationStep").objects.filter(policy__code="DEFAULT", policy__version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_escalation")]

    operations = [migrations.RunPython(install, remove)]
