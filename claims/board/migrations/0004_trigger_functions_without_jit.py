"""The summaries' trigger functions run without JIT (crm.sql.statement_trigger_function): PostgreSQL's guesses of
joins over transition tables run to millions of rows and made it compile their plans with LLVM."""

from django.db import migrations

from claims.board import triggers
from crm.sql import replace_functions


def without_jit(apps, schema_editor):
    replace_functions(
        schema_editor,
        triggers.statements("postgresql")[0]
        + triggers.visit_day_statements("postgresql")[0]
        + triggers.pool_week_statements("postgresql")[0],
    )


class Migration(migrations.Migration):
    dependencies = [("board", "0003_trigger_functions_plan_each_run")]

    # Backwards: the functions do the same work either way.
    operations = [migrations.RunPython(without_jit, migrations.RunPython.noop)]
