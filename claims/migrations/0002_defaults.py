from django.db import migrations

from claims import defaults


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]

    operations = [migrations.RunPython(defaults.install, migrations.RunPython.noop)]
