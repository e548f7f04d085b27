"""The names' table holds each customer's holder, kept by a statement trigger on a change of holder
(crm/search_names.py), so that a search keeps a manager's matches on that table.

The table is refilled with room on each page (fillfactor 80) for the holder's updates to be made in place, its four
indexes dropped first and built again after (one sort each, rather than an entry per row).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import crm.indexes
import django.contrib.postgres.indexes
import django.db.models.functions.text
from accounts.append_only import postgres_statements
from crm import search_names

# The triggers first: creating one locks the customers against changes until the fill commits.
FORWARD = [
    search_names.insert_function(),
    *search_names.HOLDER_TRIGGERS,
    f"ALTER TABLE {search_names.TABLE} DROP CONSTRAINT {search_names.KEY_NAME}",
    f"TRUNCATE {search_names.TABLE}",
    search_names.FILLFACTOR,
    search_names.fill(),
    search_names.KEY,
]
BACKWARD = [
    *search_names.DROP_HOLDER_TRIGGERS,
    search_names.insert_function(search_names.NAMES),
    f"ALTER TABLE {search_names.TABLE} RESET (fillfactor)",
]

INDEXES = [
    crm.indexes.PostgresGinIndex(
        django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper("name"), name="gin_trgm_ops"),
        name="search_name_upper_trgm",
    ),
    crm.indexes.PostgresGinIndex(
        fields=["name_normalized"], name="search_name_normalized_trgm", opclasses=["gin_trgm_ops"]
    ),
    crm.indexes.PostgresGinIndex(fields=["name_pinyin"], name="search_name_pinyin_trgm", opclasses=["gin_trgm_ops"]),
    crm.indexes.PostgresGinIndex(crm.indexes.NameBigrams(), name="search_name_bigrams"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0032_customer_name_order_holds_the_holder"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="customersearchname",
            name="owner",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        *[migrations.RemoveIndex(model_name="customersearchname", name=index.name) for index in INDEXES],
        postgres_statements(FORWARD, BACKWARD),
        *[migrations.AddIndex(model_name="customersearchname", index=index) for index in INDEXES],
        postgres_statements([f"ANALYZE {search_names.TABLE}"], []),
    ]
