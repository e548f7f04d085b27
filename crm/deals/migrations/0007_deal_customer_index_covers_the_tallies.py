"""The customer's deals index covers what the tallies read; the tallies' holder trigger reads the moved
customers' deals first (crm/deals/tallies.py: it worked out every deal's tally rows for the lapse sweep)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from crm.deals import tallies


def replace_holder_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(tallies.HOLDER_FUNCTION, params=None)


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
        migrations.RunPython(replace_holder_function, migrations.RunPython.noop),
    ]
