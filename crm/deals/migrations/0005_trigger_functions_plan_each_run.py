"""The pipeline totals' trigger functions plan each statement when it runs (crm.sql.statement_trigger_function):
a plan kept from a one-row change made a bulk change of holders quadratic."""

from django.db import migrations

from crm.deals import totals


def replace_functions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for create in totals.CREATE:
        if create.startswith("CREATE OR REPLACE FUNCTION"):
            schema_editor.execute(create, params=None)


class Migration(migrations.Migration):
    dependencies = [("deals", "0004_pipeline_totals")]

    # Backwards: the functions do the same work either way.
    operations = [migrations.RunPython(replace_functions, migrations.RunPython.noop)]
