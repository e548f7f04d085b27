"""A GIN index over each customer name's two-character pieces, for searching Chinese names on PostgreSQL.

Trigram indexes cannot serve a two-character search such as 鼎联 (a pattern needs three characters to
give a trigram), and two characters is how people search Chinese company names. The index holds the
bigrams of the normalized and the written name; `CustomerQuerySet.search` asks for the bigrams of the
search text and rechecks the candidates with LIKE. SQLite has no such index and keeps the plain LIKE.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION crm_bigrams(text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr($1, i, 2)), '{}')
    FROM generate_series(1, greatest(char_length($1) - 1, 0)) AS i
$$
"""
INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_name_bigrams ON crm_customer "
    "USING gin (crm_bigrams(name_normalized::text || ' ' || name::text))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_name_bigrams")
        schema_editor.execute("DROP FUNCTION IF EXISTS crm_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("crm", "0011_customer_imports")]

    operations = [migrations.RunPython(create, drop)]
