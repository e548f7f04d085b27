"""Django's SQLite backend, with table rebuilds that keep the triggers (the demo and a newcomer's tests run on it).

SQLite changes most of a table's schema by building a copy, dropping the table and renaming the copy. The drop takes
the table's own triggers with it (the board's stale marks on crm_customer would stop without a word), and the
rename fails on another table's trigger that names the dropped table (visits' triggers read crm_customer). So
every trigger that mentions the table is set aside before and created again after, as it was.
"""

from django.db.backends.sqlite3 import base, schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _remake_table(self, model, *args, **kwargs):
        table = model._meta.db_table
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (tbl_name = %s OR sql LIKE %s)",
                [table, f"%{table}%"],
            )
            triggers = cursor.fetchall()
        for name, _sql in triggers:
            self.execute(f"DROP TRIGGER {self.quote_name(name)}")
        super()._remake_table(model, *args, **kwargs)
        for _name, sql in triggers:
            self.execute(sql)


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
