"""The holder's own index goes: customer_owner_visibility (owner, id) serves every lookup by holder, and each change
of holders wrote a new entry in both (the lapse sweep hands 111,000 customers to the pool at 1,000,000).

Only the model state changes through AlterField: on SQLite an AlterField remakes the table, and the index is
simply dropped by name on both databases."""

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion

from crm.sql import drop_index_operation

INDEX = "crm_customer_owner_id_cb8a50e2"


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0027_phone_number_tails"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="owner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="customers",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
            ],
            database_operations=[
                drop_index_operation(INDEX, f"CREATE INDEX IF NOT EXISTS {INDEX} ON crm_customer (owner_id)")
            ],
        ),
    ]
