import datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from claims.models import Claim, EventKind
from crm.models import PoolReason, Status
from tests.factories import CustomerFactory, UserFactory

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


@pytest.mark.django_db
def test_open_disputes_whose_team_manager_is_a_party_go_to_the_admins(register, rep, manager):
    """Before 0005 the manager holding the customer got his own rep's collision to decide."""
    from claims.models import ArbiterReason, Dispute

    route = import_module("claims.migrations.0005_dispute_arbiter_reason")
    register(manager, "青岛杰航机械有限公司")
    dispute = register(rep, "青岛杰航机械有限责任公司", phones="0532-87776666").dispute
    Dispute.objects.filter(pk=dispute.pk).update(team=rep.team, arbiter_reason=ArbiterReason.TEAM)  # as before
    register(rep, "烟台华精汽车零部件有限公司", phones="0535-86661111")
    inside = register(UserFactory(team=rep.team), "烟台华精汽车零部件股份有限公司", phones="0535-86661111").dispute
    route.route_existing(apps, schema_editor=None)
    dispute.refresh_from_db()
    assert (dispute.team, dispute.arbiter_reason) == (None, ArbiterReason.MANAGER_IS_PARTY)
    inside.refresh_from_db()
    assert (inside.team, inside.arbiter_reason) == (rep.team, ArbiterReason.TEAM)
