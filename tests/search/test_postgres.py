"""On PostgreSQL the search box is served by indexes: the reversed phone numbers for their last digits, trigrams
for seven digits anywhere, bigrams of contact names."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import search as search_module
from crm.models import Contact, ContactPhone, Customer
from crm.search import contacts_matching, customers_matching
from tests.factories import ContactFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def data():
    for n in range(40):
        customer = CustomerFactory(phones=f"0532-8{n:07d}")
        ContactFactory(customer=customer, name=f"联系人{n}", phones=f"1390000{n:04d}")
    target = CustomerFactory(name="青岛杰航精密机械有限公司", phones="0532-66667777")
    ContactFactory(customer=target, name="王晓明", phones="13800138000")
    with connection.cursor() as cursor:
        # Fresh statistics; a tiny table is scanned whole, so forbid that to see what serves the search.
        cursor.execute("ANALYZE crm_customer, crm_customersearchname, crm_customerphone, crm_contact, crm_contactphone")
    return target


def plan(queryset):
    """The plan when neither a whole-table scan nor a walk along a B-tree (both cheapest on a tiny table) is on."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off; SET enable_indexscan = off; SET enable_indexonlyscan = off")
        try:
            return queryset.order_by().explain()
        finally:
            cursor.execute("SET enable_seqscan = on; SET enable_indexscan = on; SET enable_indexonlyscan = on")


def test_seven_digits_anywhere_use_the_trigram_indexes(data):
    customers = customers_matching(Customer.objects.all(), "3800138", "3800138")
    assert list(customers) == [data]
    explained = plan(customers)
    assert "crm_customerphone_number_trgm" in explained and "crm_contactphone_number_trgm" in explained
    contacts = contacts_matching("3800138", "3800138")
    assert [contact.name for contact in contacts] == ["王晓明"]
    assert "crm_contactphone_number_trgm" in plan(contacts)


def test_a_numbers_last_digits_use_the_reversed_numbers_index(data):
    customers = customers_matching(Customer.objects.all(), "7777", "7777")
    assert list(customers) == [data]
    assert "customerphone_number_tail" in plan(customers)
    contacts = contacts_matching("38000", "38000")
    assert [contact.name for contact in contacts] == ["王晓明"]
    assert "contactphone_number_tail" in plan(contacts)


def test_a_two_character_contact_name_uses_the_bigram_index(data):
    contacts = Contact.objects.matching_name("晓明")
    assert [contact.name for contact in contacts] == ["王晓明"]
    assert "contact_name_bigrams" in plan(contacts)


def test_customer_initials_are_found_in_a_range_of_their_btree(data):
    """Initials only ever match at their start: two letters, or more among the other keys of a search."""
    two_letters, four = Customer.objects.search("qd"), Customer.objects.search("qdjh")
    assert data in two_letters and len(two_letters) == Customer.objects.count()  # every factory name is 青岛…
    assert list(four) == [data]
    assert "customer_initials_prefix" in plan(two_letters) and "customer_initials_prefix" in plan(four)


def test_contact_pinyin_uses_its_trigrams_and_initials_a_range_of_their_btree(data):
    assert "crm_contact_name_pinyin_trgm" in plan(Contact.objects.matching_name("xiaoming"))
    assert "contact_initials_prefix" in plan(Contact.objects.matching_name("wxm"))


def test_a_contacts_whole_number_is_looked_up_in_the_same_index(data):
    found = ContactPhone.objects.numbered(["13800138000", "13900000007"])
    assert sorted(found.values_list("number", flat=True)) == ["13800138000", "13900000007"]
    assert "contactphone_number_tail" in plan(found)


def test_a_managers_box_names_the_people_by_id_in_every_group(manager, rep):
    """The customers' matches come from a subquery (the names' own table, 0031); under a subquery of people too,
    PostgreSQL guessed half the company visible and walked the holders' index from its start, hoping to meet 200
    matches early (26 -> 89 ms for "nbj" at 1,000,000). The ids are read once for the three groups."""
    own = CustomerFactory(owner=rep, name="厦门鼎联重工有限公司")
    ContactFactory(customer=own, name="鼎联王")
    other = CustomerFactory(owner=UserFactory(role="rep"), name="厦门鼎联机械")
    with CaptureQueriesContext(connection) as captured:
        results = search_module.search(manager, "鼎联")
    assert results.customers == [own] and results.hidden == [other]
    assert [contact.name for contact in results.contacts] == ["鼎联王"]
    groups = [query["sql"] for query in captured.captured_queries if "crm_customersearchname" in query["sql"]]
    groups += [query["sql"] for query in captured.captured_queries if 'FROM "crm_contact"' in query["sql"]]
    assert len(groups) == 3
    for sql in groups:
        assert "accounts_team" not in sql
        named = re.search(r'"owner_id" IN \(([\d, ]+)\)', sql)
        assert {int(pk) for pk in named.group(1).split(",")} == {manager.pk, rep.pk}
    assert sum('FROM "accounts_user"' in query["sql"] for query in captured.captured_queries) == 2  # ids; reps


@pytest.mark.parametrize("text", ["鼎联", "鼎联重工", "dinglian"], ids=["two characters", "Chinese", "pinyin"])
def test_the_names_table_keeps_the_held_matches_itself(manager, rep, text):
    """A manager's matches (and the others, named only) are told apart on the names' table, by the holder it keeps
    (0033): no match's customer row is read to find it held by someone else (a Chinese name's 1,131 at 1,000,000)."""
    own = CustomerFactory(owner=rep, name="厦门鼎联重工有限公司")
    pool = CustomerFactory(owner=None, name="福州鼎联重工")
    other = CustomerFactory(owner=UserFactory(role="rep"), name="泉州鼎联重工")
    visible, hidden = Customer.objects.visible_to(manager), Customer.objects.hidden_from(manager)
    assert set(visible.search(text)) == {own, pool} and list(hidden.search(text)) == [other]
    for customers in (visible, hidden):
        sql = str(customers.search(text).query)
        names = sql[sql.index('FROM "crm_customersearchname"') :].split("UNION")[0]  # not the keys' branches
        assert '"owner_id"' in names, names


def test_a_broad_query_ranks_a_bounded_set_that_always_holds_the_exact_name(monkeypatch, rep):
    """Past RANKED matches the box ranks only some of them, within what the user may see, and the exact name."""
    monkeypatch.setattr(search_module, "RANKED", 3)
    for n in range(12):
        CustomerFactory(name=f"宁波金信{n:02d}号电力设备有限公司", owner=rep)
        ContactFactory(customer=CustomerFactory(owner=None), name=f"金信{n:02d}")
    CustomerFactory(name="宁波金信机械", owner=UserFactory(role="rep"))  # another rep's: named only
    exact = CustomerFactory(name="金信有限公司", owner=rep)  # normalized 金信: the exact name
    with CaptureQueriesContext(connection) as queries:
        results = search_module.search(rep, "金信")
    assert results.customers[0] == exact
    assert len(results.customers) <= 4  # three of the twelve, and the exact name (which may be one of them)
    assert all(customer.owner == rep for customer in results.customers)
    assert [customer.name for customer in results.hidden] == ["宁波金信机械"]
    assert len(results.contacts) == 3
    assert len(queries) == 3  # one per group, as without the bound
    monkeypatch.setattr(search_module, "RANKED", 200)
    assert len(search_module.search(rep, "金信").customers) == search_module.CUSTOMERS  # all ranked: the shortest
