"""Initials are matched at their start only (LIKE 'nb%'), which a B-tree range serves: their trigram indexes gave
every name starting so as a bitmap (36,731 customers for "nb" at 1,000,000) and cost each new row version a GIN
entry per trigram (the lapse sweep writes 111,000). PostgreSQL only (crm/indexes.py); 0.6 s at 1,000,000."""

import crm.indexes
from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0028_customer_owner_has_one_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='contact',
            name='crm_contact_name_initials_trgm',
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='crm_customer_name_initials_trgm',
        ),
        migrations.AddIndex(
            model_name='contact',
            index=crm.indexes.PostgresIndex(fields=['name_initials'], name='contact_initials_prefix', opclasses=['text_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=crm.indexes.PostgresIndex(fields=['name_initials'], name='customer_initials_prefix', opclasses=['text_pattern_ops']),
        ),
    ]
