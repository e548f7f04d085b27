"""Customers per holder and status, kept by triggers for the holding limit (claims/holdings.py)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from accounts.append_only import postgres_statements
from claims import holdings


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0008_weekly_digest_moves_to_board'),
        ('crm', '0027_phone_number_tails'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Holding',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(max_length=20)),
                ('count', models.IntegerField(default=0)),
                ('holder', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('holder', 'status'), name='one_holding_per_holder_status')],
            },
        ),
        # The triggers, and the counts of the customers already there (SQLite counts on each check).
        postgres_statements([*holdings.CREATE, holdings.FILL], holdings.DROP),
    ]
