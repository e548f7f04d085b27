"""Set-based writes the ORM has no words for, built from ORM querysets."""

from django.db import connection


def insert_from_select(model, fields, rows) -> int:
    """INSERT INTO model (fields) <the SELECT of `rows`> ON CONFLICT DO NOTHING; returns how many were new.

    `rows` is a values_list() queryset giving the fields in order, so the
    database does the work and the unique constraints make reruns harmless.
    """
    select_sql, params = rows.order_by().query.sql_with_params()
    columns = ", ".join(model._meta.get_field(name).column for name in fields)
    sql = f"INSERT INTO {model._meta.db_table} ({columns}) {select_sql} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def append_only_statements(table: str, vendor: str) -> tuple[list[str], list[str]]:
    """Triggers that make the database itself refuse UPDATE and DELETE on `table`: (create, drop)."""
    if vendor == "postgresql":
        function = f"{table}_is_append_only"
        return (
            [
                f"CREATE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
                f"RAISE EXCEPTION '{table} is append-only: % refused', TG_OP; END; $$ LANGUAGE plpgsql",
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            ],
            [f"DROP TRIGGER {table}_append_only ON {table}", f"DROP FUNCTION {function}()"],
        )
    if vendor == "sqlite":
        return (
            [
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
                for op in ("UPDATE", "DELETE")
            ],
            [f"DROP TRIGGER {table}_no_update", f"DROP TRIGGER {table}_no_delete"],
        )
    return [], []


def append_only_operation(table: str):
    """A migration operation adding (and on reverse dropping) the append-only triggers."""
    from django.db import migrations

    def forward(apps, schema_editor):
        for statement in append_only_statements(table, schema_editor.connection.vendor)[0]:
            schema_editor.execute(statement, params=None)

    def backward(apps, schema_editor):
        for statement in append_only_statements(table, schema_editor.connection.vendor)[1]:
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


def refuse_truncate_operation(table: str):
    """A migration operation adding (and on reverse dropping) the TRUNCATE guard, on PostgreSQL."""
    from django.db import migrations

    def run(statements):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                for statement in statements:
                    schema_editor.execute(statement, params=None)

        return apply

    create, drop = refuse_truncate_statements(table)
    return migrations.RunPython(run(create), run(drop))
