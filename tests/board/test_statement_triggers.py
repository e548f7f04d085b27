"""The statement triggers that keep the summaries (board figures, visit days, pool weeks, pipeline totals) plan
their statements when they run. A plan kept from a trigger's first one-row call was a nested loop over the
transition tables, and the lapse sweep's thousands of customers then took minutes on the same connection."""

import re

import pytest
from django.db import connection

from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def transition_trigger_functions():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT proc.proname, proc.prosrc, proc.proconfig FROM pg_trigger AS trigger "
            "JOIN pg_proc AS proc ON proc.oid = trigger.tgfoid "
            "WHERE trigger.tgoldtable IS NOT NULL OR trigger.tgnewtable IS NOT NULL ORDER BY 1"
        )
        return cursor.fetchall()


def test_every_transition_table_trigger_runs_its_statements_dynamically():
    functions = transition_trigger_functions()
    names = {name for name, _source, _settings in functions}
    assert {"board_stale_customer_update", "board_visitday_insert", "deals_pipeline_total_holder"} <= names
    for name, source, _settings in functions:
        static = re.sub(r"EXECUTE \$statement\$.*?\$statement\$;", "", source, flags=re.DOTALL)
        assert static.split() == ["BEGIN", "RETURN", "NULL;", "END;"], f"{name} plans a statement once: {source}"


def test_no_transition_table_trigger_compiles_its_plans():
    """PostgreSQL guesses joins over transition tables by the million; with JIT on, that guess made it compile the
    deal tallies' plan with LLVM for 0.6 s in the lapse sweep."""
    functions = transition_trigger_functions()
    assert {"claims_holding_update", "deals_tally_holder", "board_poolweek_insert"} <= {row[0] for row in functions}
    assert [name for name, _source, settings in functions if "jit=off" not in (settings or [])] == []


def test_a_bulk_update_after_one_row_updates_joins_the_transition_tables_by_hash(rep):
    """Six one-row changes, then one of 3,000 rows on the same connection: the trigger's join is planned for
    3,000 rows (auto_explain prints the plans of the statements the triggers run)."""
    customers = CustomerFactory.create_batch(3, owner=rep)
    CustomerFactory.create_batch(3000 - 3, owner=None)
    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_format = text"):
            cursor.execute(f"SET LOCAL auto_explain.{setting}")
        for _ in range(2):
            for customer in customers:
                cursor.execute("UPDATE crm_customer SET grade = 'B' WHERE id = %s", [customer.pk])
        cursor.execute("SET LOCAL client_min_messages = log")
        del connection.connection.notices[:]
        cursor.execute("UPDATE crm_customer SET grade = 'C'")
        plans = "".join(connection.connection.notices)
    stale = [plan for plan in plans.split("LOG:") if "board_stale" in plan and "old_rows" in plan]
    assert stale, plans
    assert "Nested Loop" not in stale[0] and re.search(r"(Hash|Merge) Join", stale[0]), stale[0]
