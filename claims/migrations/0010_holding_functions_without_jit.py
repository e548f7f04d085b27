"""The holdings' trigger functions run without JIT, as every statement trigger function (crm.sql)."""

from django.db import migrations

from claims import holdings


def replace_functions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for create in holdings.CREATE:
        if create.startswith("CREATE OR REPLACE FUNCTION"):
            schema_editor.execute(create, params=None)


class Migration(migrations.Migration):
    dependencies = [("claims", "0009_holdings_kept_by_triggers")]

    # Backwards: the functions do the same work either way.
    operations = [migrations.RunPython(replace_functions, migrations.RunPython.noop)]
