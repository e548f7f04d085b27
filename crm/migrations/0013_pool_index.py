from django.db import migrations

# The pool, newest arrivals first: its first page is read straight off this index instead of sorting all
# 10,000 pool customers (20 ms -> under 1 ms at 100,000 customers). PostgreSQL only: SQLite cannot build
# an index with NULLS LAST, and its pools are small.
POOL_INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_pool_newest ON crm_customer "
    "(pool_since DESC NULLS LAST, id) WHERE owner_id IS NULL"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POOL_INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_pool_newest")


class Migration(migrations.Migration):
    dependencies = [("crm", "0012_name_bigrams")]

    operations = [
        # (owner, grade) is the prefix of customer_board_counts (migration 0010), which serves its queries.
        migrations.RemoveIndex(model_name="customer", name="crm_custome_owner_i_fd9354_idx"),
        migrations.RunPython(create, drop),
    ]
