"""The name's trigram and bigram indexes move from the customer row to a table of their own (crm/search_names.py).

The table is filled from the customers before its indexes are built (one sort each rather than an entry per row),
then triggers keep it equal to them. On SQLite the table stays empty: searches read the customers' columns there.
The initials' index holds the id and the holder, for the searches to take the visible matches from it alone.
"""

import crm.indexes
import django.contrib.postgres.indexes
import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

from crm import search_names
from accounts.append_only import postgres_statements


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0030_customer_partial_group_and_referral_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='CustomerSearchName',
            fields=[
                ('customer', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='search_name', serialize=False, to='crm.customer')),
                ('name', models.CharField(max_length=200)),
                ('name_normalized', models.CharField(max_length=200)),
                ('name_pinyin', models.CharField(blank=True, max_length=400)),
            ],
        ),
        postgres_statements(
            [*search_names.triggers(search_names.NAMES), search_names.fill(search_names.NAMES), search_names.KEY],
            search_names.DROP,
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='crm_customer_name_normalized_trgm',
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='crm_customer_name_pinyin_trgm',
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_name_bigrams',
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_name_upper_trgm',
        ),
        migrations.AddIndex(
            model_name='customersearchname',
            index=crm.indexes.PostgresGinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('name'), name='gin_trgm_ops'), name='search_name_upper_trgm'),
        ),
        migrations.AddIndex(
            model_name='customersearchname',
            index=crm.indexes.PostgresGinIndex(fields=['name_normalized'], name='search_name_normalized_trgm', opclasses=['gin_trgm_ops']),
        ),
        migrations.AddIndex(
            model_name='customersearchname',
            index=crm.indexes.PostgresGinIndex(fields=['name_pinyin'], name='search_name_pinyin_trgm', opclasses=['gin_trgm_ops']),
        ),
        migrations.AddIndex(
            model_name='customersearchname',
            index=crm.indexes.PostgresGinIndex(crm.indexes.NameBigrams(), name='search_name_bigrams'),
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_initials_prefix',
        ),
        migrations.AddIndex(
            model_name='customer',
            index=crm.indexes.PostgresIndex(fields=['name_initials'], include=('id', 'owner'), name='customer_initials_prefix', opclasses=['text_pattern_ops']),
        ),
    ]
