"""Open deals per holder and stage kept by triggers, and the pipeline's indexes (crm/deals/totals.py)."""

import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

from crm.deals import totals
from accounts.append_only import postgres_statements


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0024_backfill_contact_search_keys'),
        ('deals', '0003_sales_targets'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PipelineTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('count', models.IntegerField(default=0)),
                ('amount', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=20)),
                ('weighted', models.DecimalField(decimal_places=4, default=Decimal('0'), max_digits=22)),
            ],
            options={
                'verbose_name': 'pipeline total',
                'verbose_name_plural': 'pipeline totals',
            },
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['stage', 'expected_close_on', 'id'], name='deal_open_cards'),
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['customer'], include=('stage', 'amount', 'probability', 'expected_close_on', 'stage_entered_at', 'id'), name='deal_open_customer'),
        ),
        migrations.AddField(
            model_name='pipelinetotal',
            name='owner',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='pipelinetotal',
            name='stage',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='deals.stage'),
        ),
        migrations.AddConstraint(
            model_name='pipelinetotal',
            constraint=models.UniqueConstraint(fields=('owner', 'stage'), name='pipeline_total_once', nulls_distinct=False),
        ),
        # The triggers, and the totals of the deals already there (SQLite counts on every view).
        postgres_statements([*totals.CREATE, totals.FILL], totals.DROP),
    ]
