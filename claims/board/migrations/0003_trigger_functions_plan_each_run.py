"""The summaries' trigger functions plan each statement when it runs (crm.sql.statement_trigger_function): a plan
kept from a one-row change made the lapse sweep's bulk UPDATE quadratic."""

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
    dependencies = [("board", "0002_followup_figures")]

    # Backwards: the functions do the same work either way.
    operations = [migrations.RunPython(replace_functions, migrations.RunPython.noop)]
