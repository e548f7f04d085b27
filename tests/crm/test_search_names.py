"""The customers' names as searches match them, in a table of their own on PostgreSQL (crm/search_names.py)."""

import pytest
from django.db import connection

from claims.duplicates import similar_names
from crm.models import Customer, CustomerSearchName
from crm.search_names import RECOUNT
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def kept():
    return set(CustomerSearchName.objects.values_list("customer", "name", "name_normalized", "name_pinyin"))


def recount():
    with connection.cursor() as cursor:
        cursor.execute(RECOUNT)
        return set(cursor.fetchall())


def row_version(customer):
    """Where the customer's names row lies (its ctid): every version written lies elsewhere."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT ctid::text FROM crm_customersearchname WHERE customer_id = %s", [customer.pk])
        return cursor.fetchone()[0]


def test_the_names_follow_every_way_customers_are_written():
    first, second = CustomerFactory(name="青岛杰航机械有限公司"), CustomerFactory(name="厦门鼎联重工")
    Customer.objects.bulk_create([Customer(name="宁波金信电力设备", name_normalized="宁波金信电力设备")])
    assert kept() == recount() and len(recount()) == 3

    first.name = "青岛杰航精密机械有限公司"
    first.save()
    Customer.objects.filter(pk=second.pk).update(name="厦门鼎联重工股份", name_pinyin="xiamendinglian")
    assert kept() == recount()
    assert Customer.objects.search("杰航精密").get() == first
    assert Customer.objects.search("dinglian").get() == second

    first.delete()
    assert kept() == recount() and len(recount()) == 2
    assert not Customer.objects.search("杰航精密").exists()


def test_a_change_of_holder_writes_no_row_of_names():
    """What the table is for: the lapse sweep's UPDATE of the holder leaves it untouched. A save of the whole
    row (every column set) that keeps the name writes nothing either."""
    customer = CustomerFactory(name="潍坊恒锐精密机械", owner=UserFactory(role="rep"))
    before = row_version(customer)
    Customer.objects.filter(pk=customer.pk).update(owner=None, pool_reason="lapsed")
    customer.refresh_from_db()
    customer.grade = "A"
    customer.save()
    assert row_version(customer) == before
    customer.name = "潍坊恒锐精密机械有限公司"
    customer.save()
    assert row_version(customer) != before


def test_the_duplicate_check_finds_similar_names_through_the_table():
    near = CustomerFactory(name="青岛杰航精密机械")
    CustomerFactory(name="厦门鼎联重工")
    found = list(similar_names(Customer.objects.all(), "青岛杰航机械"))
    assert found == [near] and found[0].similarity > 0.3
