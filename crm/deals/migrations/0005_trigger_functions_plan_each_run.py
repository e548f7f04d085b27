"""The pipeline totals' trigger functions plan each statement when it runs (crm.sql.statement_trigger_function):
a plan kept from a one-row change made a bulk change of holders quadratic."""

from django.db import migrations

from crm.deals import totals
from crm.sql import replace_functions


def plan_each_run(apps, schema_editor):
    replace_functions(schema_editor, totals.CREATE)


class Migration(migrations.Migration):
    dependencies = [("deals", "0004_pipeline_totals")]

    # Backwards: the functions do the same work either way.
    operations = [migrations.RunPython(plan_each_run, migrations.RunPython.noop)]
