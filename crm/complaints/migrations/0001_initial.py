"""Complaints move from the crm app to their own: Django's state only, the tables (crm_complaint, …) stay."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from crm.moves import move_content_types


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("crm", "0019_importjob_attempts"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ResponseDeadline',
                    fields=[
                        ('severity', models.CharField(choices=[('critical', 'Critical'), ('high', 'High'), ('normal', 'Normal')], max_length=10, primary_key=True, serialize=False, verbose_name='severity')),
                        ('response_hours', models.PositiveSmallIntegerField(verbose_name='respond within (hours)')),
                    ],
                    options={
                        'verbose_name': 'complaint response deadline',
                        'verbose_name_plural': 'complaint response deadlines',
                        'db_table': 'crm_responsedeadline',
                        'ordering': ['response_hours'],
                    },
                ),
                migrations.CreateModel(
                    name='Complaint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('received_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='received at')),
                        ('complainant_name', models.CharField(blank=True, max_length=100, verbose_name="complainant's name")),
                        ('phone', models.CharField(blank=True, max_length=50, verbose_name='phone')),
                        ('description', models.TextField(verbose_name='what happened')),
                        ('reference', models.CharField(blank=True, max_length=100, verbose_name='order or machine reference')),
                        ('category', models.CharField(choices=[('delivery_delay', 'Delivery delay'), ('quality', 'Quality'), ('installation', 'Installation'), ('after_sales', 'After-sales service'), ('billing', 'Billing'), ('other', 'Other')], max_length=20, verbose_name='category')),
                        ('severity', models.CharField(choices=[('critical', 'Critical'), ('high', 'High'), ('normal', 'Normal')], default='normal', max_length=10, verbose_name='severity')),
                        ('root_cause', models.TextField(blank=True, verbose_name='root-cause analysis')),
                        ('resolution_actions', models.TextField(blank=True, verbose_name='resolution actions')),
                        ('customer_response', models.TextField(blank=True, verbose_name="customer's response")),
                        ('improvement_measures', models.TextField(blank=True, verbose_name='improvement measures')),
                        ('state', models.CharField(choices=[('open', 'Open'), ('investigating', 'Investigating'), ('resolved', 'Resolved'), ('closed', 'Closed')], default='open', max_length=15, verbose_name='state')),
                        ('respond_by', models.DateTimeField(verbose_name='respond by')),
                        ('responded_at', models.DateTimeField(blank=True, null=True, verbose_name='first response')),
                        ('overdue_alerted_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('alerted_by_run', models.UUIDField(blank=True, editable=False, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='recorded at')),
                        ('assignee', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='complaints', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                        ('complainant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.contact', verbose_name='complainant')),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
                        ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='complaints', to='crm.customer', verbose_name='customer')),
                    ],
                    options={
                        'verbose_name': 'complaint',
                        'verbose_name_plural': 'complaints',
                        'db_table': 'crm_complaint',
                        'ordering': ['-received_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ComplaintEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason_code', models.CharField(blank=True, db_default='', default='', editable=False, max_length=40)),
                        ('reason_params', models.JSONField(blank=True, editable=False, null=True)),
                        ('from_state', models.CharField(blank=True, choices=[('open', 'Open'), ('investigating', 'Investigating'), ('resolved', 'Resolved'), ('closed', 'Closed')], max_length=15, verbose_name='from')),
                        ('to_state', models.CharField(choices=[('open', 'Open'), ('investigating', 'Investigating'), ('resolved', 'Resolved'), ('closed', 'Closed')], max_length=15, verbose_name='to')),
                        ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='when')),
                        ('note', models.TextField(blank=True, verbose_name='note')),
                        ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL, verbose_name='by')),
                        ('complaint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='complaints.complaint')),
                    ],
                    options={
                        'verbose_name': 'complaint step',
                        'verbose_name_plural': 'complaint steps',
                        'db_table': 'crm_complaintevent',
                        'ordering': ['at', 'pk'],
                    },
                ),
                migrations.AddIndex(
                    model_name='complaint',
                    index=models.Index(fields=['-received_at'], name='complaint_newest_first'),
                ),
                migrations.AddIndex(
                    model_name='complaint',
                    index=models.Index(fields=['state', 'respond_by'], name='crm_complai_state_ada527_idx'),
                ),
                migrations.AddIndex(
                    model_name='complaint',
                    index=models.Index(fields=['customer', '-received_at'], name='crm_complai_custome_7c1877_idx'),
                ),
                migrations.AddIndex(
                    model_name='complaint',
                    index=models.Index(fields=['assignee', 'state'], name='crm_complai_assigne_82b3f0_idx'),
                ),
                migrations.AddConstraint(
                    model_name='complaint',
                    constraint=models.CheckConstraint(condition=models.Q(('complainant__isnull', True), ('complainant_name', ''), _negated=True), name='complaint_names_the_complainant', violation_error_message='Choose the contact who complained or write their name.'),
                ),
                migrations.AddConstraint(
                    model_name='complaint',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('state__in', ['resolved', 'closed']), _negated=True), models.Q(('resolution_actions', ''), _negated=True), _connector='OR'), name='complaint_resolved_has_actions'),
                ),
                migrations.AddConstraint(
                    model_name='complaint',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('state', 'closed'), _negated=True), models.Q(('customer_response', ''), _negated=True), _connector='OR'), name='complaint_closed_has_response'),
                ),
            ],
        ),
        move_content_types('crm', 'complaints', ['responsedeadline', 'complaint', 'complaintevent']),
    ]
