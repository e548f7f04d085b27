"""The README's backup and restore recipe, run for real: pg_dump, pg_restore into a fresh database."""

import subprocess
import uuid

import psycopg2
import pytest
from django.db import connection

from accounts.models import AuditEntry
from claims.models import OwnershipEvent
from claims.services import customer_register
from crm.models import Contact, Customer
from tests.factories import ContactFactory, UserFactory
from visits.models import Visit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TABLES = [Customer, Contact, Visit, OwnershipEvent, AuditEntry]


def connection_args(settings_dict):
    return ["-h", settings_dict["HOST"] or "127.0.0.1", "-p", str(settings_dict["PORT"] or 5432),
            "-U", settings_dict["USER"] or "postgres"]  # fmt: skip


def counts(cursor):
    result = {}
    for model in TABLES:
        cursor.execute(f"SELECT count(*) FROM {model._meta.db_table}")  # noqa: S608 (a model's table)
        result[model._meta.label] = cursor.fetchone()[0]
    return result


def test_a_dump_restores_into_a_fresh_database_with_every_row_and_the_history_guard(tmp_path):
    rep = UserFactory()
    names = [
        "青岛杰航机械有限公司",
        "烟台华精汽车零部件有限公司",
        "潍坊恒锐精密铸造厂",
        "济南泰山重工集团",
        "淄博鲁中阀门",
    ]
    for number, name in enumerate(names):
        customer = customer_register(
            customer=Customer(name=name, phones=f"0532-8{number}86{number}66{number}", need="x"), actor=rep
        ).customer
        ContactFactory(customer=customer)
    settings_dict = connection.settings_dict
    args = connection_args(settings_dict)
    dump = tmp_path / "crm.dump"
    subprocess.run(["pg_dump", *args, "--format=custom", f"--file={dump}", settings_dict["NAME"]], check=True)

    fresh = f"crm_restore_{uuid.uuid4().hex[:8]}"
    subprocess.run(["createdb", *args, "--template=template0", "--encoding=UTF8", fresh], check=True)
    try:
        subprocess.run(["pg_restore", *args, "--no-owner", "--exit-on-error", f"--dbname={fresh}", str(dump)],
                       check=True)  # fmt: skip
        with connection.cursor() as cursor:
            expected = counts(cursor)
        assert expected["crm.Customer"] == 5 and expected["claims.OwnershipEvent"] == 5
        restored = psycopg2.connect(host=args[1], port=args[3], user=args[5], dbname=fresh)
        try:
            with restored, restored.cursor() as cursor:
                assert counts(cursor) == expected
            # The append-only guard on ownership history came back with the data.
            with pytest.raises(psycopg2.Error), restored, restored.cursor() as cursor:
                cursor.execute("UPDATE claims_ownershipevent SET reason = 'rewritten'")
            for table in ("claims_ownershipevent", "accounts_auditentry"):
                with pytest.raises(psycopg2.Error, match="TRUNCATE refused"), restored, restored.cursor() as cursor:
                    cursor.execute(f"TRUNCATE {table}")
        finally:
            restored.close()
    finally:
        subprocess.run(["dropdb", *args, "--force", "--if-exists", fresh], check=True)
