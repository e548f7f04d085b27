"""Every API list reads a fixed number of queries, however many rows its page holds."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.services import customer_register, dispute_open
from crm.complaints.models import Complaint
from crm.complaints.services import complaint_record
from crm.models import Contact, Customer
from tests.factories import CustomerFactory, UserFactory
from visits.models import Visit
from visits.services import visit_log

pytestmark = pytest.mark.django_db

LISTS = ["customers/", "pool/", "disputes/", "complaints/", "day/", "customers/{pk}/visits/", "customers/{pk}/history/",
         "customers/{pk}/complaints/", "customers/{pk}/contacts/", "customers/{pk}/"]  # fmt: skip


def add_rows(rep, colleague, n, first):
    """n more customers of `rep`, each with a contact, a visit with a next step, a complaint and a dispute; n more in
    the pool; and `first`'s own rows grow the same way."""
    now = timezone.now()
    for i in range(n):
        name = f"青岛计数{first.pk}-{Customer.objects.count()}-{i}机械有限公司"
        phones = f"0532-7{Customer.objects.count():07d}"
        new = Customer(name=name, phones=phones, need="车床")
        customer = customer_register(customer=new, actor=rep, confirmed_new=True).customer
        for target in (customer, first):
            contact = Contact.objects.create(customer=target, name=f"联系人{i}", buying_role="user")
            visit_log(
                visit=Visit(customer=target, started_at=now - datetime.timedelta(hours=i + 1), discussion="回访",
                            next_step="报价", next_step_due=timezone.localdate() + datetime.timedelta(days=i % 5)),
                actor=rep, contacts=[contact],
            )  # fmt: skip
            complaint_record(
                complaint=Complaint(customer=target, complainant=contact, description="异响", category="quality"),
                actor=rep,
            )
        dispute_open(customer=customer, actor=colleague, statement="我先接触的")
        CustomerFactory(pool_since=now - datetime.timedelta(days=3), pool_reason="imported")


def test_lists_read_a_fixed_number_of_queries(rep, team, bearer):
    colleague = UserFactory(role="rep", team=team)
    first = customer_register(customer=Customer(name="青岛计数机械有限公司", phones="0532-70000000", need="车床"),
                              actor=rep).customer  # fmt: skip
    client = bearer(rep)

    def counts():
        found = {}
        for path in LISTS:
            url = "/api/v1/" + path.format(pk=first.pk)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200, url
            found[path] = len(captured)
        return found

    add_rows(rep, colleague, 2, first)
    few = counts()
    add_rows(rep, colleague, 5, first)
    assert counts() == few


def test_writes_on_one_customer_never_read_every_customer(rep, bearer):
    """A customer looked up for a write is read by its key: no statement reads the customers table whole (testing a
    QuerySet for truth did, once, on every visit, contact and edit sent through the API)."""
    customer = CustomerFactory(owner=rep)
    CustomerFactory.create_batch(5, owner=rep)
    client = bearer(rep)
    visit = {"method": "phone", "started_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
             "discussion": "电话回访"}  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        assert client.post(f"/api/v1/customers/{customer.pk}/visits/", visit, format="json").status_code == 201
        contact = {"name": "赵工", "buying_role": "user"}
        assert client.post(f"/api/v1/customers/{customer.pk}/contacts/", contact, format="json").status_code == 201
    whole = [
        query["sql"] for query in queries.captured_queries
        if 'FROM "crm_customer"' in query["sql"] and "WHERE" not in query["sql"].split('FROM "crm_customer"', 1)[1]
    ]  # fmt: skip
    assert not whole, whole
