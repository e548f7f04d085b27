"""A customer's searchable phone rows follow its phones field, and only a change of that field touches them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.services import claim_from_pool, claim_release
from crm.models import Customer, CustomerPhone
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

PHONE_TABLE = CustomerPhone._meta.db_table


def phone_table_queries(queries):
    return [query["sql"] for query in queries if PHONE_TABLE in query["sql"]]


def numbers(customer):
    return set(CustomerPhone.objects.filter(customer=customer).values_list("number", flat=True))


def test_a_save_of_other_fields_leaves_the_phone_table_alone(django_assert_num_queries):
    customer = Customer.objects.get(pk=CustomerFactory(phones="0532-88886666").pk)
    customer.next_follow_up_on = None
    with django_assert_num_queries(1) as captured:  # the UPDATE of the customer, nothing else
        customer.save(update_fields=["next_follow_up_on", "updated_at"])
    assert phone_table_queries(captured.captured_queries) == []
    customer.notes = "prefers WeChat"
    with django_assert_num_queries(1) as captured:  # a whole save with the phones as they were read
        customer.save()
    assert phone_table_queries(captured.captured_queries) == []
    assert numbers(customer) == {"053288886666"}


def test_an_ownership_change_leaves_the_phone_table_alone(rep):
    customer = CustomerFactory(phones="0532-88886666", owner=None, pool_reason="imported")
    with CaptureQueriesContext(connection) as captured:
        claim_from_pool(customer=customer, actor=rep)
        claim_release(customer=Customer.objects.get(pk=customer.pk), actor=rep, reason="Not our market")
    assert Customer.objects.get(pk=customer.pk).owner is None  # both changes were made
    assert phone_table_queries(captured.captured_queries) == []
    assert numbers(customer) == {"053288886666"}


def test_a_change_of_phones_still_syncs_the_rows(django_assert_num_queries):
    customer = Customer.objects.get(pk=CustomerFactory(phones="0532-88886666").pk)
    customer.phones = "13800138000, 0532-88886666"
    with django_assert_num_queries(3) as captured:  # UPDATE, DELETE of numbers gone, INSERT of new ones
        customer.save(update_fields=["phones", "updated_at"])
    assert len(phone_table_queries(captured.captured_queries)) == 2
    assert numbers(customer) == {"053288886666", "13800138000"}
    customer.phones = "13800138000"
    customer.save()
    assert numbers(customer) == {"13800138000"}
    customer.save()  # saved again unchanged: the rows stay as they are
    assert numbers(customer) == {"13800138000"}


def test_phones_changed_elsewhere_are_seen_after_a_refresh():
    customer = CustomerFactory(phones="0532-88886666")
    stale = Customer.objects.get(pk=customer.pk)
    customer.phones = "13800138000"
    customer.save()
    stale.refresh_from_db()
    stale.phones = "0532-88886666"  # back to what the stale copy first read: still a change to the rows
    stale.save()
    assert numbers(customer) == {"053288886666"}
