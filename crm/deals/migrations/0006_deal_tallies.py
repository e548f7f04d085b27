"""Each deal's furthest stage, and each holder's deals tallied by day and month, kept by triggers
(crm/deals/tallies.py); the index of open deals by the time they entered their stage."""

import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

from crm.deals import tallies
from accounts.append_only import postgres_statements


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0025_contact_decision_maker_index'),
        ('deals', '0005_trigger_functions_plan_each_run'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DealTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('entered', 'open deals by stage and local day they entered it'), ('expected', 'open deals by month they are expected to close'), ('closed', 'closed deals by month closed and furthest stage')], max_length=8)),
                ('day', models.DateField()),
                ('count', models.IntegerField(default=0)),
                ('won', models.IntegerField(default=0)),
                ('amount', models.DecimalField(decimal_places=4, default=Decimal('0'), max_digits=22)),
            ],
        ),
        migrations.AddField(
            model_name='opportunity',
            name='furthest_stage',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='deals.stage'),
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['stage_entered_at', 'id'], name='deal_open_entered'),
        ),
        migrations.AddField(
            model_name='dealtally',
            name='owner',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='dealtally',
            name='stage',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='deals.stage'),
        ),
        migrations.AddConstraint(
            model_name='dealtally',
            constraint=models.UniqueConstraint(fields=('owner', 'kind', 'day', 'stage'), name='deal_tally_once', nulls_distinct=False),
        ),
        # The deals' furthest stages from their history, then the triggers and the tallies of the deals already there
        # (SQLite counts on every view). Filling the new column changes no pipeline total: that trigger is off
        # meanwhile, not to read two copies of every deal for nothing.
        postgres_statements(
            [
                "ALTER TABLE deals_opportunity DISABLE TRIGGER pipeline_total_update",
                tallies.FURTHEST_FILL,
                "ALTER TABLE deals_opportunity ENABLE TRIGGER pipeline_total_update",
                *tallies.CREATE,
                tallies.FILL,
            ],
            tallies.DROP,
        ),
    ]
