"""The ownership history and the audit log are append-only in the database, TRUNCATE included."""

import pytest
from django.db import connection, transaction

from accounts.models import AuditEntry
from claims.models import OwnershipEvent
from claims.services import customer_register
from crm.models import Customer
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.parametrize("model", [OwnershipEvent, AuditEntry], ids=["ownership history", "audit log"])
def test_truncate_is_refused(model):
    customer_register(
        customer=Customer(name="青岛杰航机械有限公司", phones="0532-88886666", need="x"), actor=UserFactory()
    )
    rows = model.objects.count()
    assert rows
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else PostgreSQL refuses for the test's pending FK checks
    for statement in (f"TRUNCATE {table}", f"TRUNCATE {table} CASCADE", f"TRUNCATE {table} RESTART IDENTITY"):
        with (
            pytest.raises(Exception, match="append-only: TRUNCATE refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert model.objects.count() == rows
