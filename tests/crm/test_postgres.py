import pytest
from django.db import connection

from crm.models import Customer
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_trigram_indexes_exist_for_name_search():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'crm_customer'")
        indexes = dict(cursor.fetchall())
    for column in ["name", "name_normalized", "name_pinyin", "name_initials"]:
        definition = indexes[f"crm_customer_{column}_trgm"]
        assert "gin" in definition and "gin_trgm_ops" in definition


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
        cursor.execute("SET enable_seqscan = off")
        try:
            queryset = Customer.objects.filter(name_normalized__contains="恒锐精密")
            plan = queryset.explain()
            assert list(queryset) == [target]
        finally:
            cursor.execute("SET enable_seqscan = on")
    assert "crm_customer_name_normalized_trgm" in plan
