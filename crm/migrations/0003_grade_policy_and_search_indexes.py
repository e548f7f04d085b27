from django.db import migrations

GRADE_DEFAULTS = [("A", 1_000_000, 7, 30), ("B", 300_000, 14, None), ("C", 0, 30, None)]

# Trigram indexes let `icontains` on names and pinyin use an index on PostgreSQL
# instead of scanning every customer; SQLite has no equivalent and skips them.
TRIGRAM_INDEXES = {
    "crm_customer_name_trgm": "name",
    "crm_customer_name_normalized_trgm": "name_normalized",
    "crm_customer_name_pinyin_trgm": "name_pinyin",
    "crm_customer_name_initials_trgm": "name_initials",
}


def add_grade_policy(apps, schema_editor):
    GradeRule = apps.get_model("crm", "GradeRule")
    for grade, amount, cadence, onsite in GRADE_DEFAULTS:
        GradeRule.objects.get_or_create(
            grade=grade,
            defaults={"min_annual_purchases": amount, "cadence_days": cadence, "onsite_interval_days": onsite},
        )


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON crm_customer USING gin ({column} gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_customers")]

    operations = [
        migrations.RunPython(add_grade_policy, migrations.RunPython.noop),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
