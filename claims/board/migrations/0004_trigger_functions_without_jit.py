"""The summaries' trigger functions run without JIT (crm.sql.statement_trigger_function): PostgreSQL's guesses of
joins over transition tables run to millions of rows and made it compile their plans with LLVM."""

from django.db import migrations

from claims.board import triggers


def replace_functions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for create in (
        triggers.statements("postgresql")[0]
        + triggers.visit_day_statements("postgresql")[0]
        + triggers.pool_week_statements("postgresql")[0]
    ):
        if create.startswith("CREATE OR REPLACE FUNCTION"):
            schema_editor.execute(create, params=None)


class Migration(migrations.Migration):
    dependencies = [("board", "0003_trigger_functions_plan_each_run")]

    # Backwards: the functions do the same work either way.
    operations = [migrations.RunPython(replace_functions, migrations.RunPython.noop)]
