"""Customer imports move from the crm app to their own: Django's state only, the tables (crm_importjob, crm_importrow) stay."""

import django.db.models.deletion
import django.db.models.expressions
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
                    name='ImportJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='uploaded at')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('file_name', models.CharField(max_length=255, verbose_name='file')),
                        ('file_format', models.CharField(max_length=4)),
                        ('content', models.BinaryField(default=bytes)),
                        ('language', models.CharField(max_length=10)),
                        ('state', models.CharField(choices=[('uploaded', 'Uploaded'), ('checking', 'Checking'), ('checked', 'Checked: waiting for your confirmation'), ('importing', 'Importing'), ('done', 'Done'), ('failed', 'The file could not be read')], default='uploaded', max_length=20, verbose_name='state')),
                        ('estimated_rows', models.PositiveIntegerField(default=0)),
                        ('headers', models.JSONField(default=list)),
                        ('ignored_columns', models.JSONField(default=list)),
                        ('error', models.TextField(blank=True)),
                        ('total_rows', models.PositiveIntegerField(default=0, verbose_name='rows')),
                        ('blank_rows', models.PositiveIntegerField(default=0)),
                        ('valid_rows', models.PositiveIntegerField(default=0)),
                        ('invalid_rows', models.PositiveIntegerField(default=0)),
                        ('warning_rows', models.PositiveIntegerField(default=0)),
                        ('imported_rows', models.PositiveIntegerField(default=0, verbose_name='imported')),
                        ('rejected_rows', models.PositiveIntegerField(default=0, verbose_name='rejected')),
                        ('run_token', models.UUIDField(blank=True, editable=False, null=True)),
                        ('attempts', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('checked_at', models.DateTimeField(blank=True, null=True)),
                        ('import_started_at', models.DateTimeField(blank=True, null=True)),
                        ('confirmed_from', models.GenericIPAddressField(blank=True, editable=False, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by')),
                    ],
                    options={
                        'verbose_name': 'customer import',
                        'verbose_name_plural': 'customer imports',
                        'db_table': 'crm_importjob',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ImportRow',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField(verbose_name='row')),
                        ('cells', models.JSONField(default=list)),
                        ('state', models.CharField(choices=[('valid', 'Ready to import'), ('invalid', 'Has errors'), ('imported', 'Imported'), ('rejected', 'Rejected')], max_length=10)),
                        ('errors', models.JSONField(default=list)),
                        ('warnings', models.JSONField(default=list)),
                        ('values', models.JSONField(default=dict)),
                        ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.customer')),
                        ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rows', to='imports.importjob')),
                    ],
                    options={
                        'db_table': 'crm_importrow',
                        'ordering': ['job', 'number'],
                    },
                ),
                migrations.AddIndex(
                    model_name='importjob',
                    index=models.Index(fields=['created_by', '-created_at'], name='importjob_by_creator'),
                ),
                migrations.AddConstraint(
                    model_name='importjob',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('state', 'done'), _negated=True), ('total_rows', django.db.models.expressions.CombinedExpression(models.F('imported_rows'), '+', models.F('rejected_rows'))), _connector='OR'), name='importjob_done_accounts_for_every_row'),
                ),
                migrations.AddIndex(
                    model_name='importrow',
                    index=models.Index(fields=['job', 'state', 'number'], name='importrow_job_state'),
                ),
                migrations.AddConstraint(
                    model_name='importrow',
                    constraint=models.UniqueConstraint(fields=('job', 'number'), name='importrow_one_per_line'),
                ),
            ],
        ),
        move_content_types('crm', 'imports', ['importjob', 'importrow']),
    ]
