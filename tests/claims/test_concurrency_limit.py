"""The holding limit under parallel registrations and claims by one rep, on real PostgreSQL connections."""

import datetime

import pytest
from django.utils import timezone

from claims.models import Claim, OwnershipPolicy
from claims.services import OwnershipRefused, claim_from_pool, customer_register
from crm.models import Customer, PoolReason
from tests.concurrency import run_at_once
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_rep_cannot_pass_the_holding_limit_by_registering_and_claiming_at_once():
    policy = OwnershipPolicy.current()
    policy.holding_limit = 3
    policy.save()
    rep = UserFactory()
    pooled = [
        CustomerFactory(owner=None, pool_reason=PoolReason.LAPSED, pool_since=timezone.now() - datetime.timedelta(2))
        for _ in range(4)
    ]
    # Different companies (no name, phone or code in common), so only the limit can stop them.
    attempts = [("claim", customer) for customer in pooled] + [
        ("register", Customer(name=name, phones=phone, need="数控车床"))
        for name, phone in [("甲乙丙丁", "0531-1111111"), ("戊己庚辛", "0532-2222222"),
                            ("子丑寅卯", "0533-3333333"), ("辰巳午未", "0534-4444444")]
    ]  # fmt: skip

    def attempt():
        action, customer = attempts.pop()
        try:
            if action == "claim":
                claim_from_pool(customer=customer, actor=rep)
            else:
                assert customer_register(customer=customer, actor=rep, confirmed_new=True).outcome == "created"
            return True
        except OwnershipRefused:
            return False

    results, errors = run_at_once(attempt, threads=8)
    assert errors == []
    assert results.count(True) == 3
    assert Claim.objects.active().filter(holder=rep).count() == 3
