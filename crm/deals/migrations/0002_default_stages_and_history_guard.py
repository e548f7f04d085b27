"""DOMAIN §6's six stages and a first list of close reasons, as data admins may edit; the history append-only."""

from django.db import migrations

from accounts.append_only import append_only_operation, refuse_truncate_operation
from crm.deals.defaults import seed_defaults

HISTORY = "deals_stagechange"


def seed(apps, schema_editor):
    seed_defaults(apps.get_model("deals", "Stage"), apps.get_model("deals", "CloseReason"))


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        # The database itself refuses to rewrite a deal's history, as for ownership history and the audit log.
        append_only_operation(HISTORY),
        refuse_truncate_operation(HISTORY),
    ]
