"""The PostgreSQL-only indexes are declared in the model, as the database has them, and SQLite copes with them."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from claims.board.models import StaleOwner
from crm.indexes import PostgresOnly
from crm.models import Customer, CustomerSearchName
from tests.factories import CustomerFactory, UserFactory

POSTGRES_ONLY = [
    (model, index)
    for model in (Customer, CustomerSearchName)
    for index in model._meta.indexes
    if isinstance(index, PostgresOnly)
]
BUILT_BY_MIGRATIONS = {  # 0013, 0015, 0029; the name's trigrams and bigrams on their own table (0031)
    "customer_initials_prefix",
    "customer_pool_newest",
    "customer_credit_code_upper",
    "search_name_upper_trgm",
    "search_name_normalized_trgm",
    "search_name_pinyin_trgm",
    "search_name_bigrams",
}


def test_django_knows_every_index_the_migrations_built():
    assert {index.name for _model, index in POSTGRES_ONLY} == BUILT_BY_MIGRATIONS


@pytest.mark.django_db
def test_the_models_and_the_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # SystemExit(1) on a difference


def index_definitions(cursor, names):
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [list(names)])
    return dict(cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(("model", "index"), POSTGRES_ONLY, ids=[index.name for _model, index in POSTGRES_ONLY])
def test_the_declaration_builds_the_index_the_database_has(model, index):
    """Django's SQL for the declared index, built under another name and rolled back, is the real one's."""
    trial = index.clone()
    trial.name = "trial_" + index.name[:50]
    with connection.cursor() as cursor:
        built = index_definitions(cursor, [index.name])[index.name]
        with transaction.atomic():
            with connection.schema_editor(atomic=False) as editor:
                editor.execute(trial.create_sql(model, editor), params=None)
            declared = index_definitions(cursor, [trial.name])[trial.name]
            transaction.set_rollback(True)
    assert declared.replace(trial.name, index.name) == built


@pytest.mark.skipif("connection.vendor != 'sqlite'")
@pytest.mark.django_db(transaction=True)
def test_sqlite_rebuilds_the_customer_table_with_the_declared_indexes():
    """SQLite copies a table for most schema changes and re-creates its declared indexes: the PostgreSQL ones
    are comments there, the others come back. The triggers on it and those naming it (crm/sqlite) come back too."""

    def triggers():
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        return cursor.fetchall()

    with connection.cursor() as cursor:
        before = triggers()
        with connection.schema_editor() as editor:
            editor._remake_table(Customer)
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'crm_customer'")
        names = {name for (name,) in cursor.fetchall()}
        assert triggers() == before
    assert "customer_board_column" in names and not names & BUILT_BY_MIGRATIONS
    assert {"board_stale_customer_update", "board_stale_visit_insert"} <= {name for name, _sql in before}
    rep = UserFactory(role="rep")
    customer = CustomerFactory(owner=rep)
    StaleOwner.objects.all().delete()
    Customer.objects.filter(pk=customer.pk).update(grade="A")  # still marks the holder's figures stale
    assert list(StaleOwner.objects.values_list("owner_id", flat=True)) == [rep.pk]
