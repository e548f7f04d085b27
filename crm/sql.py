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
