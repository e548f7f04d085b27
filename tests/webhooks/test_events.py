"""The events the apps' own services emit, and what their payloads say (read from the stored deliveries)."""

import datetime
import json

import pytest
from django.utils import timezone

from claims.models import Claim, Outcome
from claims.services import (
    claim_from_pool,
    claim_release,
    claim_transfer,
    customer_register,
    dispute_decide,
    dispute_open,
    rep_depart,
)
from claims.sweep import lapse_sweep
from crm.complaints.models import Complaint
from crm.complaints.services import complaint_deadline_alerts, complaint_record
from crm.models import Customer
from crm.webhooks.models import Delivery, Endpoint, Event
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber(admin_user):
    """Subscribed to everything; the deliveries are inspected, not sent (their tasks wait for a commit)."""
    return Endpoint.objects.create(name="ERP", url="https://erp.example.com/hook", events=Event.values,
                                   created_by=admin_user)  # fmt: skip


@pytest.fixture
def sent(subscriber, django_capture_on_commit_callbacks):
    """The events emitted inside the block, as (event, data), in order."""

    class Sent:
        def __enter__(self):
            self.capture = django_capture_on_commit_callbacks(execute=False)
            self.callbacks = self.capture.__enter__()
            self.before = set(Delivery.objects.values_list("pk", flat=True))
            return self

        def __exit__(self, *exc):
            self.capture.__exit__(*exc)
            new = Delivery.objects.exclude(pk__in=self.before).order_by("created_at", "body")
            self.events = [(d.event, json.loads(d.body)["data"]) for d in new]
            # One callback per emitting change at most: sent after the commit, never before.
            assert len(self.callbacks) <= len(self.events)

        def of(self, event):
            return [data for name, data in self.events if name == event]

    return Sent


def register(rep, name="青岛杰航机械有限公司", phones="0532-88886666"):
    return customer_register(customer=Customer(name=name, phones=phones, need="五轴加工中心"), actor=rep).customer


def test_a_registration_announces_the_customer_and_its_first_holder(sent, rep):
    with sent() as events:
        customer = register(rep)
    (registered,) = events.of(Event.CUSTOMER_REGISTERED)
    assert registered["customer"]["id"] == customer.pk and registered["customer"]["name"] == customer.name
    assert registered["customer"]["owner"]["username"] == rep.username
    assert registered["customer"]["url"].endswith(f"/customers/{customer.pk}/")
    assert registered["registered_by"]["id"] == rep.pk and registered["source"] == "registration"
    (change,) = events.of(Event.OWNERSHIP_CHANGED)
    assert (change["change"], change["from"], change["to"]["id"]) == ("registered", None, rep.pk)


def test_a_collision_registers_nothing_and_announces_nothing(sent, rep, team):
    register(rep)
    with sent() as events:
        register(UserFactory(role="rep", team=team), phones="0532-88886666")
    assert events.events == []  # a dispute opened; nothing changed hands


def test_every_change_of_hands_is_announced(sent, rep, manager, team):
    colleague, newcomer = UserFactory(role="rep", team=team), UserFactory(role="rep", team=team)
    customer = register(rep)
    with sent() as events:
        claim_transfer(customer=customer, actor=manager, to_user=colleague, reason="客户要求换人")
        claim_release(customer=customer, actor=colleague, reason="客户转向别的供应商")
        Customer.objects.filter(pk=customer.pk).update(pool_since=timezone.now() - datetime.timedelta(days=10))
        claim_from_pool(customer=Customer.objects.get(pk=customer.pk), actor=newcomer)
        rep_depart(rep=newcomer, actor=manager, reason="离职")
    changes = [
        (c["change"], (c["from"] or {}).get("id"), (c["to"] or {}).get("id"))
        for c in events.of(Event.OWNERSHIP_CHANGED)
    ]
    assert changes == [
        ("transferred", rep.pk, colleague.pk),
        ("released", colleague.pk, None),
        ("claimed", None, newcomer.pk),
        ("departed", newcomer.pk, None),
    ]
    transferred = events.of(Event.OWNERSHIP_CHANGED)[0]
    assert transferred["actor"]["id"] == manager.pk and transferred["reason"] == "客户要求换人"
    assert transferred["customer"]["owner"]["id"] == colleague.pk


@pytest.mark.parametrize(
    ("outcome", "share", "changed_hands"),
    [
        (Outcome.KEEP, None, []),
        (Outcome.SPLIT, 70, []),
        (Outcome.TRANSFER, None, ["decided"]),
        ("pool", None, ["decided"]),
    ],
)
def test_a_decided_dispute_is_announced(sent, rep, manager, team, outcome, share, changed_hands):
    challenger = UserFactory(role="rep", team=team)
    customer = register(rep)
    dispute = dispute_open(customer=customer, actor=challenger, statement="展会上我先接触的")
    with sent() as events:
        dispute_decide(dispute=dispute, actor=manager, outcome=outcome, reason="记录齐全", holder_share=share)
    (decided,) = events.of(Event.DISPUTE_DECIDED)
    assert decided["dispute"]["id"] == dispute.pk and decided["dispute"]["outcome"] == outcome
    assert decided["dispute"]["holder"]["id"] == rep.pk and decided["dispute"]["challenger"]["id"] == challenger.pk
    assert decided["dispute"]["decided_by"]["id"] == manager.pk and decided["dispute"]["reason"] == "记录齐全"
    assert decided["dispute"]["holder_share"] == share
    assert [change["change"] for change in events.of(Event.OWNERSHIP_CHANGED)] == changed_hands


def test_a_lapse_announces_each_customer_back_in_the_pool(sent, rep):
    customers = []
    for number in range(3):
        customer = CustomerFactory(owner=rep)
        Claim.objects.create(customer=customer, holder=rep, renewed_on=datetime.date(2026, 1, number + 1),
                             protected_until=datetime.date(2026, 4, 1))  # fmt: skip
        customers.append(customer)
    with sent() as events:
        assert lapse_sweep(datetime.date(2026, 5, 1)) == 3
        assert lapse_sweep(datetime.date(2026, 5, 1)) == 0
    lapsed = events.of(Event.OWNERSHIP_CHANGED)
    assert sorted(change["customer"]["id"] for change in lapsed) == sorted(c.pk for c in customers)
    assert {(c["change"], c["from"]["id"], c["to"], c["customer"]["owner"]) for c in lapsed} == {
        ("lapsed", rep.pk, None, None)
    }


def test_a_complaint_is_announced_when_opened_and_when_overdue(sent, rep):
    customer = CustomerFactory(owner=rep, grade="B")
    received = timezone.now() - datetime.timedelta(days=5)
    with sent() as events:
        complaint = complaint_record(
            complaint=Complaint(customer=customer, complainant_name="王建国", description="主轴异响停机三天",
                                category="quality", severity="high", received_at=received),
            actor=rep,
        )  # fmt: skip
    (opened,) = events.of(Event.COMPLAINT_OPENED)
    assert opened["complaint"]["id"] == complaint.pk and opened["complaint"]["severity"] == "high"
    assert opened["complaint"]["description"] == "主轴异响停机三天" and opened["customer"]["id"] == customer.pk
    assert opened["complaint"]["assignee"]["id"] == rep.pk
    with sent() as events:
        assert complaint_deadline_alerts() == 1
        assert complaint_deadline_alerts() == 0
    (overdue,) = events.of(Event.COMPLAINT_OVERDUE)
    assert overdue["complaint"]["id"] == complaint.pk and overdue["complaint"]["state"] == "open"


def test_without_a_subscriber_nothing_is_stored(rep, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        register(rep)
    assert not Delivery.objects.exists() and callbacks == []
