import datetime

from django.db import migrations, models
from django.db.models import Case, ExpressionWrapper, Value, When
from django.db.models.functions import Coalesce, TruncDate

TABLE = "claims_ownershipevent"

POSTGRES_FORWARD = f"""
CREATE FUNCTION ownership_history_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ownership history is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ownership_history_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION ownership_history_is_append_only();
"""
POSTGRES_BACKWARD = f"""
DROP TRIGGER ownership_history_append_only ON {TABLE};
DROP FUNCTION ownership_history_is_append_only();
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER ownership_history_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'ownership history is append-only: UPDATE refused'); END;",
    f"CREATE TRIGGER ownership_history_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'ownership history is append-only: DELETE refused'); END;",
]
SQLITE_BACKWARD = ["DROP TRIGGER ownership_history_no_update;", "DROP TRIGGER ownership_history_no_delete;"]


def add_triggers(apps, schema_editor):
    """The database itself refuses to change history: no admin, shell or bug can rewrite who owned what."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


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
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
