"""The database guards of append-only tables (the audit log here, the ownership history in claims), defined once.

Row triggers refuse UPDATE and DELETE (PostgreSQL and SQLite); a statement trigger refuses TRUNCATE of a table
that holds rows (PostgreSQL; SQLite has no TRUNCATE). Migrations add them with `append_only_operation` and
`refuse_truncate_operation`; code that must remove generated rows (test flushes, `seed_scale --clear`) lifts
the row guard for one transaction with `row_guard_lifted`. It lives in accounts, the lowest app, so that every
app's migrations may use it.
"""

from contextlib import contextmanager

from django.db import migrations, transaction


def append_only_statements(
    table: str, vendor: str, *, name: str | None = None, label: str | None = None
) -> tuple[list[str], list[str]]:
    """Triggers that make the database itself refuse UPDATE and DELETE on `table`: (create, drop).

    `name` prefixes the trigger and function names and `label` names the table in the refusal (both default
    to the table's name; the ownership history was created as "ownership_history", "ownership history").
    """
    name, label = name or table, label or table
    if vendor == "postgresql":
        function = f"{name}_is_append_only"
        return (
            [
                f"CREATE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
                f"RAISE EXCEPTION '{label} is append-only: % refused', TG_OP; END; $$ LANGUAGE plpgsql",
                f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            ],
            [f"DROP TRIGGER {name}_append_only ON {table}", f"DROP FUNCTION {function}()"],
        )
    if vendor == "sqlite":
        return (
            [
                f"CREATE TRIGGER {name}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{label} is append-only: {op} refused'); END"
                for op in ("UPDATE", "DELETE")
            ],
            [f"DROP TRIGGER {name}_no_update", f"DROP TRIGGER {name}_no_delete"],
        )
    return [], []


def append_only_operation(table: str, **naming):
    """A migration operation adding (and on reverse dropping) the append-only row triggers."""

    def forward(apps, schema_editor):
        for statement in append_only_statements(table, schema_editor.connection.vendor, **naming)[0]:
            schema_editor.execute(statement, params=None)

    def backward(apps, schema_editor):
        for statement in append_only_statements(table, schema_editor.connection.vendor, **naming)[1]:
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(forward, backward)


def refuse_truncate_statements(table: str) -> tuple[list[str], list[str]]:
    """A PostgreSQL trigger that refuses TRUNCATE of a non-empty append-only `table`: (create, drop).

    TRUNCATE fires no row triggers, so the UPDATE/DELETE guard does not see it. An empty table loses
    nothing to a TRUNCATE: that is how a test flush passes, after emptying the table with its row
    triggers lifted (tests/conftest.py), which only the table's owner may do. SQLite has no TRUNCATE.
    """
    function = f"{table}_refuses_truncate"
    return (
        [
            f"CREATE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "  # noqa: S608 (a model's table name)
            f"IF EXISTS (SELECT 1 FROM {table}) THEN "
            f"RAISE EXCEPTION '{table} is append-only: TRUNCATE refused'; END IF; "
            "RETURN NULL; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ],
        [f"DROP TRIGGER {table}_no_truncate ON {table}", f"DROP FUNCTION {function}()"],
    )


def postgres_statements(forward, backward):
    """A migration operation running the SQL statements `forward` (and on reverse `backward`) on PostgreSQL only:
    the TRUNCATE guard below, and the triggers that keep the apps' summaries and the customers' search names."""

    def run(statements):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                for statement in statements:
                    schema_editor.execute(statement, params=None)

        return apply

    return migrations.RunPython(run(forward), run(backward))


def refuse_truncate_operation(table: str):
    """A migration operation adding (and on reverse dropping) the TRUNCATE guard, on PostgreSQL."""
    return postgres_statements(*refuse_truncate_statements(table))


@contextmanager
def row_guard_lifted(connection, table: str):
    """Inside one transaction, the DELETE/UPDATE guard of `table` is down (only the table's owner may do this).

    PostgreSQL disables the table's triggers for the transaction; SQLite, which cannot disable a trigger, drops
    them and creates them again from the SQL it stored.
    """
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            return
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        yield
        for _name, sql in triggers:
            cursor.execute(sql)
