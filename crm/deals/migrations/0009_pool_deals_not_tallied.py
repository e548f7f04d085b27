"""The pool's deals are no longer tallied (crm/deals/tallies.py): nothing reads them, the forecast counts held
customers' deals only, and the lapse sweep's UPDATE wrote a row for each moved deal's new holder, none, as well as
taking it from the old one. The trigger functions get the new statements, and the pool's rows go."""

from django.db import migrations

from crm.deals import tallies
from crm.sql import replace_functions


def pool_not_tallied(apps, schema_editor):
    replace_functions(schema_editor, tallies.CREATE)
    schema_editor.execute("DELETE FROM deals_dealtally WHERE owner_id IS NULL", params=None)


class Migration(migrations.Migration):
    dependencies = [("deals", "0008_trigger_functions_without_jit")]

    # Backwards: nothing reads the pool's rows, so none are made again.
    operations = [migrations.RunPython(pool_not_tallied, migrations.RunPython.noop)]
