from django.db import migrations


def create_policy(apps, schema_editor):
    # The single policy row exists from the start, so no request pays for creating it.
    apps.get_model("claims", "OwnershipPolicy").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("claims", "0002_history_is_append_only_and_backfill")]

    operations = [migrations.RunPython(create_policy, migrations.RunPython.noop)]
