"""The pipeline totals' and deal tallies' trigger functions run without JIT (crm.sql.statement_trigger_function):
the lapse sweep's UPDATE of the customers spent half of the tallies' trigger compiling its plan with LLVM."""

from django.db import migrations

from crm.deals import tallies, totals
from crm.sql import replace_functions


def without_jit(apps, schema_editor):
    replace_functions(schema_editor, [*totals.CREATE, *tallies.CREATE])


class Migration(migrations.Migration):
    dependencies = [("deals", "0007_deal_customer_index_covers_the_tallies")]

    # Backwards: the functions do the same work either way.
    operations = [migrations.RunPython(without_jit, migrations.RunPython.noop)]
