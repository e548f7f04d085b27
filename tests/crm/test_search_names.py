"""The customers' names as searches match them, in a table of their own on PostgreSQL (crm/search_names.py)."""

import pytest
from django.db import connection

from claims.duplicates import similar_names
from crm.models import Customer, CustomerSearchName
from crm.search_names import RECOUNT
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def kept():
    return set(CustomerSearchName.objects.values_list("customer", "name", "name_normalized", "name_pinyin", "owner"))


def recount():
    with connection.cursor() as cursor:
        cursor.execute(RECOUNT)
        return set(cursor.fetchall())


def names_written():
    """(rows updated, of which in place) in the names' table by this transaction so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'crm_customersearchname'"
        )
        return cursor.fetchone()


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


def test_the_holder_follows_every_way_customers_change_hands():
    rep, other = UserFactory(role="rep"), UserFactory(role="rep")
    first, second, third = (CustomerFactory(name=name, owner=rep) for name in ("杰航机械", "鼎联重工", "金信电力"))
    first.owner = other
    first.save()
    Customer.objects.filter(pk__in=[second.pk, third.pk]).update(owner=None, pool_reason="lapsed")  # as the sweep
    assert kept() == recount()
    Customer.objects.filter(pk=third.pk).update(owner=rep)
    Customer.objects.filter(owner=other).update(owner=rep)  # a departing rep's customers, in one statement
    assert kept() == recount()
    assert set(CustomerSearchName.objects.values_list("owner", flat=True)) == {rep.pk, None}


def test_a_change_of_holder_rewrites_only_the_holder_in_place():
    """What the table is for: the lapse sweep's UPDATE of the holder writes no entry in the name's four indexes.
    The holder's row is updated in place (heap-only: no indexed column changes, and the pages have room), and an
    UPDATE that moves nobody, or a save of the whole row that keeps the holder and the name, writes nothing."""
    customer = CustomerFactory(name="潍坊恒锐精密机械", owner=UserFactory(role="rep"))
    before = names_written()
    customer.grade = "A"
    customer.save()
    Customer.objects.filter(pk=customer.pk).update(next_follow_up_on=None)
    assert names_written() == before
    Customer.objects.filter(pk=customer.pk).update(owner=None, pool_reason="lapsed")
    assert names_written() == (before[0] + 1, before[1] + 1)
    version = row_version(customer)
    customer.name = "潍坊恒锐精密机械有限公司"
    customer.save()
    assert row_version(customer) != version and kept() == recount()


def test_the_duplicate_check_finds_similar_names_through_the_table():
    near = CustomerFactory(name="青岛杰航精密机械")
    CustomerFactory(name="厦门鼎联重工")
    found = list(similar_names(Customer.objects.all(), "青岛杰航机械"))
    assert found == [near] and found[0].similarity > 0.3
