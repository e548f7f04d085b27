"""The pipeline totals' and deal tallies' trigger functions run without JIT (crm.sql.statement_trigger_function):
the lapse sweep's UPDATE of the customers spent half of the tallies' trigger compiling its plan with LLVM."""

from django.db import migrations

from crm.deals import tallies, totals


def replace_functions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for create in [*totals.CREATE, *tallies.CREATE]:
        if create.startswith("CREATE OR REPLACE FUNCTION"):
            schema_editor.execute(create, params=None)


class Migration(migrations.Migration):
    dependencies = [("deals", "0007_deal_customer_index_covers_the_tallies")]

    # Backwards: the functions do the same work either way.
    operations = [migrations.RunPython(replace_functions, migrations.RunPython.noop)]
