"""The summaries' trigger functions plan each statement when it runs (crm.sql.statement_trigger_function): a plan
kept from a one-row change made the lapse sweep's bulk UPDATE quadratic."""

from django.db import migrations

from claims.board import triggers
from crm.sql import replace_functions


def plan_each_run(apps, schema_editor):
    replace_functions(
        schema_editor,
        triggers.statements("postgresql")[0]
        + triggers.visit_day_statements("postgresql")[0]
        + triggers.pool_week_statements("postgresql")[0],
    )


class Migration(migrations.Migration):
    dependencies = [("board", "0002_followup_figures")]

    # Backwards: the functions do the same work either way.
    operations = [migrations.RunPython(plan_each_run, migrations.RunPython.noop)]
