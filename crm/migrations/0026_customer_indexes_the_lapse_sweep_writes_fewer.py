"""Customer indexes no query reads, which every bulk change of holders writes (the lapse sweep's UPDATE of 110,000
customers at 1,000,000 writes a new entry in each): the name's case-sensitive trigrams (name searches are
case-insensitive, customer_name_upper_trgm) and the varchar_pattern_ops twins of two keys looked up by equality.

The two equality indexes are kept and renamed, not rebuilt; SQLite has no twins, and remaking its table (what an
AlterField does there) would break the triggers that name it, so only the model state changes."""

from django.conf import settings
from django.db import migrations, models

# (column, the index Django named for db_index=True, its new name)
KEYS = [
    ("name_normalized", "crm_customer_name_normalized_af6764ac", "customer_name_normalized"),
    ("group_key", "crm_customer_group_key_2472f75e", "customer_group_key"),
]


def rename_and_drop_twins(apps, schema_editor):
    for column, old, new in KEYS:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {old}_like", params=None)
            schema_editor.execute(f"ALTER INDEX IF EXISTS {old} RENAME TO {new}", params=None)
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {old}", params=None)
            schema_editor.execute(f"CREATE INDEX {new} ON crm_customer ({column})", params=None)


def restore(apps, schema_editor):
    for column, old, new in KEYS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {new}", params=None)
        schema_editor.execute(f"CREATE INDEX {old} ON crm_customer ({column})", params=None)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE INDEX {old}_like ON crm_customer ({column} varchar_pattern_ops)", params=None
            )


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0025_contact_decision_maker_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="customer", name="crm_customer_name_trgm"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="group_key",
                    field=models.CharField(blank=True, editable=False, max_length=200),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="name_normalized",
                    field=models.CharField(editable=False, max_length=200, verbose_name="normalized name"),
                ),
                migrations.AddIndex(
                    model_name="customer",
                    index=models.Index(fields=["name_normalized"], name="customer_name_normalized"),
                ),
                migrations.AddIndex(
                    model_name="customer", index=models.Index(fields=["group_key"], name="customer_group_key")
                ),
            ],
            database_operations=[migrations.RunPython(rename_and_drop_twins, restore)],
        ),
    ]
