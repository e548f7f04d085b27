"""The holdings kept by PostgreSQL triggers (claims/holdings.py) equal a recount of the customers per holder and
status, whatever changes them: the services, the lapse sweep's one UPDATE, a customer's status edited or
bulk-updated."""

import datetime
import random

import pytest
from django.db import connection
from django.utils import timezone

from claims import holdings
from claims.models import Claim, Holding, HoldingLimit
from claims.services import claim_from_pool, claim_release, claim_transfer, holding_limit_refusal
from claims.sweep import lapse_sweep
from crm.models import Customer, Status
from tests.factories import CustomerFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the holdings are kept by PostgreSQL triggers"),
]


def kept():
    return {(row.holder_id, row.status): row.count for row in Holding.objects.exclude(count=0)}


def recounted():
    with connection.cursor() as cursor:
        cursor.execute(holdings.RECOUNT)
        return {(holder, status): count for holder, status, count in cursor}


@pytest.fixture
def open_policy(policy):
    """Nothing refuses a claim by date or cap: the sequence below moves customers as fast as it likes."""
    policy.pool_claim_delay_days = 0
    policy.reclaim_cooldown_days = 0
    policy.daily_claim_cap = 1000
    policy.save()
    return policy


def test_holdings_equal_a_recount_after_random_changes(open_policy, manager, rep, register):
    chance = random.Random(21)  # noqa: S311 (a reproducible sequence, not a secret)
    colleague = UserFactory(role="rep", team=rep.team)
    reps = [rep, colleague]
    statuses = [Status.PROSPECT, Status.ACTIVE, Status.DORMANT, Status.LOST]
    for number in range(4):
        register(chance.choice(reps), f"青岛杰航机械{number}有限公司", phones=f"0532-8888{number:04d}")
    pool = [CustomerFactory(owner=None, pool_since=timezone.now() - datetime.timedelta(days=5)) for _ in range(3)]
    assert kept() == recounted()
    reached = set()
    for step in range(50):
        held = list(Customer.objects.filter(owner__isnull=False))
        pooled = list(Customer.objects.filter(owner__isnull=True)) or pool
        action = chance.choice(["register", "claim", "release", "transfer", "lapse", "status", "bulk_status"])
        if action == "register":
            register(chance.choice(reps), f"潍坊德隆装备{step}有限公司", phones=f"0536-2000{step:04d}",
                     status=chance.choice(statuses))  # fmt: skip
        elif action == "claim":
            claim_from_pool(customer=chance.choice(pooled), actor=chance.choice(reps))
        elif action == "release" and held:
            customer = chance.choice(held)
            claim_release(customer=customer, actor=customer.owner, reason="不再跟进")
        elif action == "transfer" and held:
            customer = chance.choice(held)
            other = colleague if customer.owner_id == rep.pk else rep
            claim_transfer(customer=customer, actor=manager, to_user=other, reason="客户要求")
        elif action == "lapse" and held:
            lapsing = [c.pk for c in chance.sample(held, min(3, len(held)))]
            Claim.objects.active().filter(customer__in=lapsing).update(protected_until=datetime.date(2020, 1, 1))
            lapse_sweep()
        elif action == "status" and held:
            customer = chance.choice(held)
            customer.status = chance.choice(statuses)
            customer.save()
        elif action == "bulk_status":  # one statement over held and pooled customers alike, as an import may
            Customer.objects.filter(pk__in=[c.pk for c in held + pooled][::2]).update(status=chance.choice(statuses))
        assert kept() == recounted(), f"after step {step}: {action}"
        reached |= kept().keys()
    assert len(reached) >= 6  # the sequence reached both reps in several statuses


def test_the_limit_reads_the_kept_holdings(rep, open_policy, register):
    """Customers handed to the pool by a script free their places at once: the count is the kept rows."""
    HoldingLimit.objects.create(user=rep, holding_limit=2)
    first = register(rep, "青岛杰航机械有限公司", phones="0532-1000001").customer
    register(rep, "潍坊德隆轨道装备有限公司", phones="0536-2000002")
    buying = register(rep, "烟台老客户有限公司", phones="0535-3000003", status=Status.ACTIVE).customer
    candidate = CustomerFactory.build(status=Status.PROSPECT)
    assert Holding.objects.held_toward_limit(rep, open_policy) == 2
    assert "You hold 2 customers" in holding_limit_refusal(holder=rep, policy=open_policy, customer=candidate)
    Customer.objects.filter(pk=buying.pk).update(status=Status.PROSPECT)  # no longer buying: it counts
    assert "You hold 3 customers" in holding_limit_refusal(holder=rep, policy=open_policy, customer=candidate)
    Customer.objects.filter(pk__in=[first.pk, buying.pk]).update(owner=None)
    assert holding_limit_refusal(holder=rep, policy=open_policy, customer=candidate) == ""
    assert kept() == recounted()


def test_the_migration_fill_equals_the_recount(rep_with_three):
    """What migration 0009 writes for the customers already there (its FILL) is the recount."""
    Holding.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(holdings.FILL)
    assert kept() == recounted() and sum(kept().values()) == 3


@pytest.fixture
def rep_with_three(rep, register):
    names = ["日照精工机床有限公司", "烟台渤海铸造厂", "潍坊德隆轨道装备有限公司"]
    for number, (name, status) in enumerate(zip(names, [Status.PROSPECT, Status.ACTIVE, Status.PROSPECT], strict=True)):
        assert register(rep, name, phones=f"0633-700000{number}", status=status).outcome == "created"
    return rep


def test_the_kept_row_stays_one_per_holder_and_status(rep, register):
    register(rep, "青岛杰航机械有限公司", phones="0532-1000001")
    register(rep, "潍坊德隆轨道装备有限公司", phones="0536-2000002")
    assert list(Holding.objects.filter(holder=rep).values_list("status", "count")) == [(Status.PROSPECT, 2)]
