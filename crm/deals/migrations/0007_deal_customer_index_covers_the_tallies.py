"""The customer's deals index covers what the tallies' triggers read (crm/deals/tallies.py) and replaces the foreign
key's own index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0025_contact_decision_maker_index'),
        ('deals', '0006_deal_tallies'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='opportunity',
            name='deal_customer',
        ),
        migrations.AlterField(
            model_name='opportunity',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='opportunities', to='crm.customer', verbose_name='customer'),
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(fields=['customer', 'status'], include=('stage', 'stage_entered_at', 'amount', 'probability', 'expected_close_on', 'closed_on', 'furthest_stage'), name='deal_customer_tallied'),
        ),
        ]
