"""The group key's and the referral's indexes hold only the customers that have one.

Every change of holder writes a new row version and an entry in each of the customer's indexes that covers the row;
most customers belong to no group and were referred by nobody, so entries for them were written (111,000 times each
by the lapse sweep at 1,000,000) for lookups that never ask for an empty key. Lookups by a key (and the foreign
key's checks, by a referrer's id) still use them: an equality implies the condition.

The referral's foreign key keeps its constraint: only the model state changes through AlterField (as in 0028), and
its unconditional index is dropped by name on both databases."""

import django.db.models.deletion
from django.db import migrations, models

from crm.sql import drop_index_operation

REFERRAL_INDEX = "crm_customer_referred_by_id_96d4f8f3"


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0029_initials_match_at_their_start"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="customer", name="customer_group_key"),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("group_key", ""), _negated=True), fields=["group_key"], name="customer_group_key"
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="referred_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="referrals",
                        to="crm.customer",
                        verbose_name="referred by",
                    ),
                ),
            ],
            database_operations=[
                drop_index_operation(
                    REFERRAL_INDEX, f"CREATE INDEX IF NOT EXISTS {REFERRAL_INDEX} ON crm_customer (referred_by_id)"
                )
            ],
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("referred_by__isnull", False)), fields=["referred_by"], name="customer_referred_by"
            ),
        ),
    ]
