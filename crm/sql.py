"""SQL the ORM has no words for: set-based writes built from ORM querysets, statement trigger functions, and the
migration operations that replace those functions or drop an index by name."""

from django.db import connection, migrations


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


def statement_trigger_function(name: str, statements: list[str]) -> str:
    """CREATE OR REPLACE FUNCTION of a PostgreSQL statement trigger that runs `statements` over its transition
    tables, each planned when it runs (EXECUTE) with the tables' real sizes.

    plpgsql plans a static statement once per connection and keeps the plan: a statement trigger first fired by
    a one-row UPDATE kept a nested loop over its transition tables, and the lapse sweep's 11,000 customers then
    took 70 s on the same connection instead of 2 (PostgreSQL knows nothing else of a transition table's size).

    Without JIT: PostgreSQL knows a transition table's row count but nothing of its keys, so it guesses joins of
    the old and new rows by the million, and the cost of that guess made it compile the deal tallies' statement
    with LLVM: 0.6 s of the lapse sweep's 1.3 s in that trigger at 100,000 customers, to run 20,000 rows.
    """
    body = " ".join(f"EXECUTE $statement${statement}$statement$;" for statement in statements)
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $function$ BEGIN {body} RETURN NULL; END; "
        "$function$ LANGUAGE plpgsql SET jit = off"
    )


def replace_functions(schema_editor, statements) -> None:
    """Run the CREATE OR REPLACE FUNCTION statements among `statements` (PostgreSQL; the triggers stay as they
    are): a migration's way to give existing trigger functions a new body or new settings."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in statements:
        if statement.startswith("CREATE OR REPLACE FUNCTION"):
            schema_editor.execute(statement, params=None)


def drop_index_operation(name: str, restore: str):
    """A RunPython dropping the index `name` by name (on both databases), and `restore` (its CREATE INDEX) back:
    for a foreign key whose own index goes while only the model state changes, where an AlterField would drop
    and re-check the constraint (PostgreSQL) or copy the table (SQLite)."""

    def drop(apps, schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}", params=None)

    def create(apps, schema_editor):
        schema_editor.execute(restore, params=None)

    return migrations.RunPython(drop, create)


def rows_differ(one: str, other: str, columns) -> str:
    """SQL true when the rows aliased `one` and `other` differ in any of `columns` (NULLs compared as values)."""

    def row(alias):
        return "(" + ", ".join(f"{alias}.{column}" for column in columns) + ")"

    return f"{row(one)} IS DISTINCT FROM {row(other)}"


def updated_rows(select, columns, old: str = "old_rows", new: str = "new_rows") -> str:
    """The source of an UPDATE statement trigger's upsert: what `select` gives for the old versions of the rows
    whose `columns` changed, taken away (sign -1), and for their new versions, added (+1).

    `select(sign, table, where, join)` gives the SELECT of one side, its rows aliased `deal`."""
    return (
        select(-1, old, rows_differ("deal", "after", columns), f"JOIN {new} AS after USING (id)")
        + " UNION ALL "
        + select(1, new, rows_differ("deal", "before", columns), f"JOIN {old} AS before USING (id)")
    )
