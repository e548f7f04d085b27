"""Demo ownership: a claim behind every owned customer, a pool with history, and disputes to decide.

Claims count from the customer's last contact; one in nine is a few days from
lapsing, so the nightly sweep warns its owner. Two collisions wait for a
decision: one inside a team for its manager, one across teams for the admin.
"""

import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from crm.models import Customer, PoolReason

from .models import Claim, Dispute, EventKind, OwnershipEvent, OwnershipPolicy
from .services import customer_register
from .sweep import ownership_sweep


def _claims_for_owned_customers(policy):
    unclaimed = (
        Customer.objects.filter(owner__isnull=False)
        .exclude(Exists(Claim.objects.active().filter(customer=OuterRef("pk"))))
        .order_by("pk")
    )
    claims, events = [], []
    for index, customer in enumerate(unclaimed):
        start = customer.last_contact_on or timezone.localdate(customer.created_at)
        if index % 9 == 0:
            start = timezone.localdate() - datetime.timedelta(days=policy.protection_days(customer) - 3)  # lapsing
        claim = Claim(customer=customer, holder_id=customer.owner_id, started_at=customer.created_at,
                      renewed_on=start, protected_until=policy.protected_until(customer, start))  # fmt: skip
        claims.append(claim)
    Claim.objects.bulk_create(claims)
    for claim in claims:
        events.append(
            OwnershipEvent(
                customer=claim.customer,
                claim=claim,
                kind=EventKind.REGISTERED,
                at=claim.started_at,
                actor_id=claim.holder_id,
                to_user_id=claim.holder_id,
                protected_until=claim.protected_until,
            )  # fmt: skip
        )
    OwnershipEvent.objects.bulk_create(events)
    return len(claims)


def _pool_history():
    pool = Customer.objects.filter(owner__isnull=True, pool_since__isnull=True).order_by("pk")
    reasons = [PoolReason.IMPORTED, PoolReason.LAPSED, PoolReason.RELEASED, PoolReason.DEPARTED]
    for index, customer in enumerate(pool):
        customer.pool_reason = reasons[index % len(reasons)]
        customer.pool_since = timezone.now() - datetime.timedelta(days=2 + index % 40)
    Customer.objects.bulk_update(pool, ["pool_reason", "pool_since"])


def _collision(holder, challenger):
    """The challenger registers a spelling of one of the holder's customers."""
    customer = Customer.objects.filter(owner=holder).order_by("pk").first()
    if customer is None or Dispute.objects.filter(customer=customer).exists():
        return
    attempt = Customer(name=customer.name.replace("有限公司", "有限责任公司"), phones=customer.phones, need="询价")
    customer_register(customer=attempt, actor=challenger)


def seed(stdout):
    policy = OwnershipPolicy.current()
    claimed = _claims_for_owned_customers(policy)
    _pool_history()
    reps = {user.username: user for user in User.objects.filter(username__in=["rep1", "rep2", "rep4"])}
    if len(reps) == 3:
        _collision(reps["rep1"], reps["rep2"])  # same team: manager1 decides
        _collision(reps["rep4"], reps["rep1"])  # across teams: the admin decides
    swept = ownership_sweep()
    stdout.write(
        f"Demo ownership: {claimed} claims recorded, {Dispute.objects.open().count()} open disputes; "
        f"the ownership sweep warned {swept['warned']} and lapsed {swept['lapsed']}."
    )
