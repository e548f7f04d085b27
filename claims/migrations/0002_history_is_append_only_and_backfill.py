import datetime

from django.db import migrations, models
from django.db.models import Case, ExpressionWrapper, Value, When
from django.db.models.functions import Coalesce, TruncDate

from accounts.append_only import append_only_operation, append_only_statements

TABLE = "claims_ownershipevent"
# The history's guard was created under these names before the audit log's; kept, so the database is the same.
NAMING = {"name": "ownership_history", "label": "ownership history"}
SQLITE_FORWARD = append_only_statements(TABLE, "sqlite", **NAMING)[0]


def backfill(apps, schema_editor):
    """Customers owned before claims existed get a claim counted from their last contact, set-based."""
    from crm.sql import insert_from_select

    Customer = apps.get_model("crm", "Customer")
    Claim = apps.get_model("claims", "Claim")
    OwnershipEvent = apps.get_model("claims", "OwnershipEvent")
    start = Coalesce("last_contact_on", TruncDate("created_at"))
    owned = Customer.objects.filter(owner__isnull=False).annotate(
        c_start=ExpressionWrapper(start, output_field=models.DateField()),
        c_until=Case(
            When(status="active", then=ExpressionWrapper(start + datetime.timedelta(days=365), models.DateField())),
            default=ExpressionWrapper(start + datetime.timedelta(days=90), models.DateField()),
        ),
        c_share=Value(100),
        c_blank=Value(""),
    )
    insert_from_select(
        Claim,
        ["customer", "holder", "started_at", "renewed_on", "protected_until", "holder_share", "end_reason"],
        owned.values_list("pk", "owner", "created_at", "c_start", "c_until", "c_share", "c_blank"),
    )
    events = Claim.objects.annotate(e_kind=Value("registered"), e_reason=Value("Owner before ownership records began."))
    insert_from_select(
        OwnershipEvent,
        ["customer", "claim", "kind", "at", "actor", "to_user", "protected_until", "reason"],
        events.values_list(
            "customer", "pk", "e_kind", "started_at", "customer__created_by", "holder", "protected_until", "e_reason"
        ),
    )
    Customer.objects.filter(owner__isnull=True, pool_since__isnull=True).update(
        pool_reason="imported", pool_since=models.F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0001_initial"),
        ("crm", "0005_pool_need_notifications"),
    ]

    operations = [
        # The database itself refuses to change history: no admin, shell or bug can rewrite who owned what.
        append_only_operation(TABLE, **NAMING),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
