"""The weekly digest's table moves from the claims app to the board: Django's state only, the table stays."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from crm.moves import move_content_types


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("claims", "0007_system_reasons"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WeeklyDigest",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("week", models.DateField()),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "claims_weeklydigest",
                        "ordering": ["-week", "user"],
                        "constraints": [models.UniqueConstraint(fields=("user", "week"), name="one_board_digest_per_user_and_week")],
                    },
                ),
            ],
        ),
        move_content_types("claims", "board", ["weeklydigest"]),
    ]
