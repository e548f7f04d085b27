import pytest
from django.db import connection

from crm.models import Customer, CustomerSearchName
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def indexes_of(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def test_trigram_indexes_exist_for_name_search():
    names = indexes_of("crm_customersearchname")
    for column in ["name_normalized", "name_pinyin"]:
        definition = names[f"search_name_{column.removeprefix('name_')}_trgm"]
        assert "gin" in definition and f"({column} gin_trgm_ops)" in definition
    # The name is searched case-insensitively (UPPER(name) LIKE): its trigrams are of UPPER(name) (0015, 0026).
    assert "gin_trgm_ops" in names["search_name_upper_trgm"] and "upper" in names["search_name_upper_trgm"]
    # None on the customer row, which every change of holder writes again (0031); initials match at their start
    # only: a B-tree range (0029), their trigrams gone.
    customers = indexes_of("crm_customer")
    assert not [name for name, definition in customers.items() if "USING gin" in definition]
    assert "btree (name_initials text_pattern_ops)" in customers["customer_initials_prefix"]


def test_database_collation_keeps_chinese_searchable():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database WHERE datname = current_database()"
        )
        encoding, collation = cursor.fetchone()
    assert encoding == "UTF8"
    assert collation != "C", "trigram matching of Chinese finds nothing under the C locale"
    with connection.cursor() as cursor:
        cursor.execute("SELECT similarity('青岛杰航机械', '青岛杰航精密机械')")
        assert cursor.fetchone()[0] > 0.3


def test_search_by_infix_uses_the_trigram_index():
    CustomerFactory.create_batch(50)
    target = CustomerFactory(name="潍坊恒锐精密机械有限公司")
    with connection.cursor() as cursor:
        # Fresh statistics; no scan of a whole table nor walk of an index in order.
        cursor.execute("ANALYZE crm_customer, crm_customersearchname")
        cursor.execute("SET enable_seqscan = off; SET enable_indexscan = off")
        try:
            queryset = Customer.objects.search("HENGRUI").order_by()
            plan = queryset.explain()
            assert list(queryset) == [target]
        finally:
            cursor.execute("SET enable_seqscan = on; SET enable_indexscan = on")
    assert "search_name_pinyin_trgm" in plan and "search_name_upper_trgm" in plan
    names = CustomerSearchName.objects.filter(name_normalized__contains="恒锐精密")
    assert list(names.values_list("customer", flat=True)) == [target.pk]


class TestChineseSearch:
    """Two-character searches, too short for trigrams, go through the search_name_bigrams index."""

    @pytest.fixture
    def names(self):
        CustomerFactory.create_batch(30)
        return {
            name: CustomerFactory(name=name)
            for name in ["厦门鼎联重工股份有限公司", "潍坊恆銳精密機械有限公司", "鼎盛联合贸易有限公司", "青岛联鼎机电"]
        }

    def search(self, text):
        return set(Customer.objects.search(text).values_list("name", flat=True))

    def test_two_characters_find_the_names_holding_them_together(self, names):
        assert self.search("鼎联") == {"厦门鼎联重工股份有限公司"}  # not 鼎盛联合 (apart) nor 联鼎 (reversed)
        assert self.search("联鼎") == {"青岛联鼎机电"}

    def test_traditional_spelling_and_legal_forms_still_match(self, names):
        assert self.search("恒锐精密") == {"潍坊恆銳精密機械有限公司"}  # via the normalized name
        assert self.search("重工股份") == {"厦门鼎联重工股份有限公司"}  # via the written name
        assert "厦门鼎联重工股份有限公司" in self.search("有限公司")  # only a legal form: plain LIKE
        assert self.search("鼎") >= {"厦门鼎联重工股份有限公司", "鼎盛联合贸易有限公司", "青岛联鼎机电"}

    def test_two_characters_are_the_bigram_alone_with_nothing_to_recheck(self, names):
        assert "LIKE" not in str(Customer.objects.search("鼎联").query)
        assert "LIKE" in str(Customer.objects.search("鼎联重工").query)  # pieces held apart must be checked whole
        assert self.search("恒锐") == {"潍坊恆銳精密機械有限公司"}  # the normalized name's piece
        assert self.search("恆銳") == {"潍坊恆銳精密機械有限公司"}  # traditional: pieces differ, plain LIKE

    def test_the_planner_uses_the_bigram_index(self, names):
        with connection.cursor() as cursor:
            # Fresh statistics, and no ORDER BY that a walk of the name index could serve instead.
            cursor.execute("ANALYZE crm_customer, crm_customersearchname")
            cursor.execute("SET enable_seqscan = off; SET enable_indexscan = off")
            try:
                plan = Customer.objects.search("鼎联").order_by().explain()
            finally:
                cursor.execute("SET enable_seqscan = on; SET enable_indexscan = on")
        assert "search_name_bigrams" in plan


def test_a_latin_letter_search_uses_an_index_for_every_condition():
    CustomerFactory.create_batch(30)
    target = CustomerFactory(name="ABB Robotics 青岛")
    with connection.cursor() as cursor:
        # A tiny table is scanned whole; forbid that and the walk along the name order to see what serves it.
        cursor.execute("ANALYZE crm_customer, crm_customersearchname")
        cursor.execute("SET enable_seqscan = off; SET enable_indexscan = off")
        try:
            queryset = Customer.objects.search("robot").order_by()
            plan = queryset.explain()
            assert list(queryset) == [target]
        finally:
            cursor.execute("SET enable_seqscan = on; SET enable_indexscan = on")
    assert "Seq Scan on crm_customer" not in plan
    assert "search_name_upper_trgm" in plan and "customer_credit_code_upper" in plan


def test_group_and_referral_lookups_use_indexes_of_only_the_customers_having_one():
    """Partial indexes (0030): a change of holder writes no entry for a customer without a group or a referrer,
    and a lookup by a key or a referrer (the duplicate check's, the foreign key's) is still served by them."""
    CustomerFactory.create_batch(30)
    member = CustomerFactory(group_name="海尔集团")
    referred = CustomerFactory(referred_by=member)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'crm_customer'")
        indexes = dict(cursor.fetchall())
        cursor.execute("ANALYZE crm_customer")
        cursor.execute("SET enable_seqscan = off")
        try:
            by_group = Customer.objects.filter(group_key=member.group_key).order_by()
            by_referrer = Customer.objects.filter(referred_by=member).order_by()
            assert list(by_group) == [member] and list(by_referrer) == [referred]
            group_plan, referrer_plan = by_group.explain(), by_referrer.explain()
        finally:
            cursor.execute("SET enable_seqscan = on")
    assert indexes["customer_group_key"].endswith("WHERE (NOT ((group_key)::text = ''::text))")
    assert indexes["customer_referred_by"].endswith("WHERE (referred_by_id IS NOT NULL)")
    assert "crm_customer_referred_by_id_96d4f8f3" not in indexes  # the foreign key's own, for every customer
    assert "customer_group_key" in group_plan and "customer_referred_by" in referrer_plan
