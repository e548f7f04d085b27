import datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from claims.models import Claim, EventKind
from crm.models import PoolReason, Status
from tests.factories import CustomerFactory

migration = import_module("claims.migrations.0002_history_is_append_only_and_backfill")


@pytest.mark.django_db
def test_backfill_gives_owned_customers_a_claim_and_the_pool_a_reason(rep):
    contacted = timezone.localdate() - datetime.timedelta(days=10)
    prospect = CustomerFactory(owner=rep, last_contact_on=contacted)
    buyer = CustomerFactory(owner=rep, last_contact_on=contacted, status=Status.ACTIVE)
    pooled = CustomerFactory(owner=None)
    migration.backfill(apps, schema_editor=None)
    assert Claim.objects.get(customer=prospect).protected_until == contacted + datetime.timedelta(days=90)
    assert Claim.objects.get(customer=buyer).protected_until == contacted + datetime.timedelta(days=365)
    event = prospect.ownership_events.get()
    assert (event.kind, event.to_user, event.protected_until) == (
        EventKind.REGISTERED,
        rep,
        contacted + datetime.timedelta(90),
    )
    pooled.refresh_from_db()
    assert (pooled.pool_reason, pooled.pool_since) == (PoolReason.IMPORTED, pooled.created_at)
