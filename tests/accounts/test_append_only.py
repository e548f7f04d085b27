"""The append-only guards of the audit log, the ownership history and the deal history come from one definition."""

import re
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from accounts.append_only import append_only_statements, refuse_truncate_statements, row_guard_lifted
from accounts.models import AuditEntry
from claims.models import OwnershipEvent
from claims.services import customer_register
from crm.deals.models import StageChange
from crm.models import Customer
from tests.factories import UserFactory

HISTORY_NAMING = import_module("claims.migrations.0002_history_is_append_only_and_backfill").NAMING
GUARDED = [
    (OwnershipEvent._meta.db_table, HISTORY_NAMING),
    (AuditEntry._meta.db_table, {}),
    (StageChange._meta.db_table, {}),
]


def squeeze(sql):
    return " ".join(sql.replace(";", " ").split())


def test_the_trigger_sql_is_written_in_one_module():
    base = Path(settings.BASE_DIR)
    writing = sorted(
        str(path.relative_to(base))
        for path in base.rglob("*.py")
        if not {".venv", "tests"} & set(path.relative_to(base).parts)
        and re.search(r"CREATE (FUNCTION|TRIGGER)|RAISE\(ABORT|RAISE EXCEPTION", path.read_text())
    )
    # The guards are written once; the summaries the database keeps (board figures, pipeline totals, deal tallies
    # and the holdings) and the customers' names for search have their own triggers, each module tested against a
    # recount.
    assert writing == [
        "accounts/append_only.py",
        "claims/board/triggers.py",
        "claims/holdings.py",
        "crm/deals/tallies.py",
        "crm/deals/totals.py",
        "crm/search_names.py",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("table", "naming"), GUARDED, ids=["ownership history", "audit log", "deal history"])
def test_each_table_has_the_guards_the_module_defines(table, naming):
    """The guards, and nothing else that refuses (the board's counting triggers, `board_…`, only add up; so does
    the history's `furthest_stage`, which raises its deal's furthest stage, crm/deals/tallies.py)."""
    create, _drop = append_only_statements(table, connection.vendor, **naming)
    name = naming.get("name", table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name NOT LIKE 'board_%%'",
                [table],
            )
            assert sorted(squeeze(sql) for (sql,) in cursor.fetchall()) == sorted(map(squeeze, create))
            return
        cursor.execute(
            "SELECT tgname, pg_get_triggerdef(t.oid), p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal AND tgname NOT LIKE 'board_%%' "
            "AND tgname <> 'furthest_stage' ORDER BY tgname",
            [table],
        )
        found = {trigger: (definition, source) for trigger, definition, source in cursor.fetchall()}
    assert set(found) == {f"{name}_append_only", f"{table}_no_truncate"}
    for trigger, statements in [
        (f"{name}_append_only", create),
        (f"{table}_no_truncate", refuse_truncate_statements(table)[0]),
    ]:
        definition, source = found[trigger]
        assert squeeze(source) in squeeze(statements[0])  # the function's body, as the module writes it
        assert "BEFORE" in definition and trigger in statements[1]


@pytest.mark.django_db
@pytest.mark.parametrize("model", [OwnershipEvent, AuditEntry], ids=["ownership history", "audit log"])
def test_the_guard_is_lifted_for_one_transaction_only(model):
    actor = UserFactory()
    for name, phones in [("青岛杰航机械有限公司", "0532-8"), ("烟台华精汽车零部件有限公司", "0535-8")]:
        customer_register(customer=Customer(name=name, phones=phones, need="x"), actor=actor)
        AuditEntry.objects.create(action="login", actor=actor)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # PostgreSQL alters no table with FK checks pending
    table = model._meta.db_table
    row = model.objects.values_list("pk", flat=True).first()
    with pytest.raises(RuntimeError), row_guard_lifted(connection, table):
        model.objects.filter(pk=row)._raw_delete(connection.alias)
        raise RuntimeError  # a failure inside: the delete is undone and the guard stays
    assert model.objects.filter(pk=row).exists()
    with row_guard_lifted(connection, table):
        model.objects.filter(pk=row)._raw_delete(connection.alias)
    assert not model.objects.filter(pk=row).exists()
    assert model.objects.exists()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        model.objects.all()._raw_delete(connection.alias)  # the guard is back
