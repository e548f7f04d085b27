"""First come, first served, with real concurrent connections to PostgreSQL."""

import datetime

import pytest
from django.utils import timezone

from claims.models import Claim, EventKind, OwnershipEvent
from claims.services import OwnershipRefused, claim_from_pool, customer_register
from crm.models import Customer, PoolReason
from tests.concurrency import run_at_once
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_reps_claim_one_pool_customer_and_one_wins():
    team = TeamFactory()
    reps = UserFactory.create_batch(20, team=team)
    customer = CustomerFactory(
        owner=None, pool_reason=PoolReason.LAPSED, pool_since=timezone.now() - datetime.timedelta(days=3)
    )
    queue = list(reps)

    def attempt():
        rep = queue.pop()
        try:
            claim_from_pool(customer=customer, actor=rep)
            return rep.pk
        except OwnershipRefused:
            return None

    results, errors = run_at_once(attempt, threads=20)
    assert errors == []
    winners = [pk for pk in results if pk]
    assert len(winners) == 1
    customer.refresh_from_db()
    assert customer.owner_id == winners[0]
    assert Claim.objects.active().filter(customer=customer).count() == 1
    assert OwnershipEvent.objects.filter(customer=customer, kind=EventKind.CLAIMED).count() == 1


def test_two_reps_register_the_same_new_company_at_once():
    team = TeamFactory()
    first, second = UserFactory.create_batch(2, team=team)
    queue = [first, second]
    spellings = ["青岛杰航机械有限公司", "青岛杰航机械有限责任公司"]

    def attempt():
        rep, name = queue.pop(), spellings.pop()
        customer = Customer(name=name, phones="0532-88886666", need="五轴加工中心")
        return customer_register(customer=customer, actor=rep).outcome

    results, errors = run_at_once(attempt)
    assert errors == []
    assert sorted(results) == ["collision", "created"]
    assert Customer.objects.count() == 1
    assert Claim.objects.active().count() == 1
    assert OwnershipEvent.objects.filter(kind=EventKind.REGISTERED).count() == 1


def test_one_rep_cannot_pass_the_holding_limit_with_parallel_claims():
    from claims.models import OwnershipPolicy

    policy = OwnershipPolicy.current()
    policy.holding_limit = 3
    policy.save()
    rep = UserFactory()
    customers = [
        CustomerFactory(owner=None, pool_reason=PoolReason.LAPSED, pool_since=timezone.now() - datetime.timedelta(2))
        for _ in range(8)
    ]
    queue = list(customers)

    def attempt():
        try:
            claim_from_pool(customer=queue.pop(), actor=rep)
            return True
        except OwnershipRefused:
            return False

    results, errors = run_at_once(attempt, threads=8)
    assert errors == []
    assert results.count(True) == 3
    assert Claim.objects.active().filter(holder=rep).count() == 3
