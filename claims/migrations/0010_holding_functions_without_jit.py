"""The holdings' trigger functions run without JIT, as every statement trigger function (crm.sql)."""

from django.db import migrations

from claims import holdings
from crm.sql import replace_functions


def without_jit(apps, schema_editor):
    replace_functions(schema_editor, holdings.CREATE)


class Migration(migrations.Migration):
    dependencies = [("claims", "0009_holdings_kept_by_triggers")]

    # Backwards: the functions do the same work either way.
    operations = [migrations.RunPython(without_jit, migrations.RunPython.noop)]
