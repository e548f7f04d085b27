"""Django's model state learns the PostgreSQL-only indexes that migrations 0003, 0012, 0013 and 0015 built
with raw SQL, so `makemigrations` and later migrations know them. State only: the indexes exist already (on
PostgreSQL) and are not rebuilt; on SQLite, which has none of them, nothing happens either (crm/indexes.py
turns their SQL into a comment there)."""

from django.contrib.postgres.indexes import OpClass
from django.db import migrations, models
from django.db.models.functions import Upper

from crm.indexes import NameBigrams, PostgresGinIndex, PostgresIndex

INDEXES = [
    *[
        PostgresGinIndex(fields=[field], opclasses=["gin_trgm_ops"], name=f"crm_customer_{field}_trgm")
        for field in ("name", "name_normalized", "name_pinyin", "name_initials")
    ],
    PostgresGinIndex(NameBigrams(), name="customer_name_bigrams"),
    PostgresIndex(
        models.OrderBy(models.F("pool_since"), descending=True, nulls_last=True),
        models.F("id"),
        condition=models.Q(("owner", None)),
        name="customer_pool_newest",
    ),
    PostgresGinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="customer_name_upper_trgm"),
    PostgresIndex(OpClass(Upper("credit_code"), name="text_pattern_ops"), name="customer_credit_code_upper"),
]


class Migration(migrations.Migration):
    dependencies = [("crm", "0021_imports_move_to_their_app")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="customer", index=index) for index in INDEXES],
            database_operations=[],
        )
    ]
