"""The board's summaries: per-rep figures, visits per person, day and method, ownership events per person, week
and pool flow; the triggers that keep them, and the counts of what is already there."""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import TruncDate

from claims.board import triggers


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in (
        triggers.statements(vendor)[0]
        + triggers.visit_day_statements(vendor)[0]
        + triggers.pool_week_statements(vendor)[0]
    ):
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in (
        triggers.statements(vendor)[1]
        + triggers.visit_day_statements(vendor)[1]
        + triggers.pool_week_statements(vendor)[1]
    ):
        schema_editor.execute(statement, params=None)


def count_visit_days(apps, schema_editor):
    """The visits already logged, counted as the triggers will count the next ones."""
    Visit = apps.get_model("visits", "Visit")
    VisitDay = apps.get_model("board", "VisitDay")
    days = (
        Visit.objects.annotate(day=TruncDate("started_at"))
        .order_by()
        .values_list("author_id", "day", "method")
        .annotate(n=Count("id"))
    )
    sql, params = days.query.sql_with_params()
    schema_editor.execute(f"INSERT INTO {VisitDay._meta.db_table} (author_id, day, method, n) {sql}", params)


def count_pool_weeks(apps, schema_editor):
    schema_editor.execute(triggers.pool_week_count(schema_editor.connection.vendor), params=None)


def mark_every_owner(apps, schema_editor):
    """Nothing is summarized yet: every owner's figures are counted on the first view (or the beat job)."""
    Customer = apps.get_model("crm", "Customer")
    StaleOwner = apps.get_model("board", "StaleOwner")
    owners = Customer.objects.filter(owner__isnull=False).order_by().values_list("owner_id", flat=True).distinct()
    StaleOwner.objects.bulk_create(StaleOwner(owner_id=owner) for owner in owners)


class Migration(migrations.Migration):
    dependencies = [
        ("board", "0001_initial"),
        ("crm", "0024_backfill_contact_search_keys"),
        ("visits", "0006_visit_deal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StaleOwner",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("owner_id", models.BigIntegerField(db_index=True)),
                ("marked_at", models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
            ],
            options={"db_table": "board_staleowner"},
        ),
        migrations.CreateModel(
            name="FollowUpFigures",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("grade", models.CharField(max_length=1)),
                ("computed_on", models.DateField()),
                ("held", models.PositiveIntegerField()),
                ("overdue", models.PositiveIntegerField()),
                ("bands", models.JSONField()),
                ("periods", models.JSONField()),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "board_followupfigures",
                "constraints": [
                    models.UniqueConstraint(fields=("owner", "grade"), name="one_figures_row_per_owner_grade")
                ],
            },
        ),
        migrations.CreateModel(
            name="VisitDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("method", models.CharField(max_length=20)),
                ("n", models.IntegerField()),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "board_visitday",
                "constraints": [
                    models.UniqueConstraint(fields=("author", "day", "method"), name="one_visitday_per_key")
                ],
            },
        ),
        migrations.CreateModel(
            name="PoolWeek",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("user_id", models.BigIntegerField()),
                ("week", models.DateField()),
                (
                    "flow",
                    models.PositiveSmallIntegerField(choices=[(1, "Into"), (2, "Claimed"), (3, "Registered")]),
                ),
                ("n", models.IntegerField()),
            ],
            options={
                "db_table": "board_poolweek",
                "constraints": [models.UniqueConstraint(fields=("user_id", "week", "flow"), name="one_poolweek_per_key")],
            },
        ),
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.RunPython(count_visit_days, migrations.RunPython.noop),
        migrations.RunPython(count_pool_weeks, migrations.RunPython.noop),
        migrations.RunPython(mark_every_owner, migrations.RunPython.noop),
    ]
