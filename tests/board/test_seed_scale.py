import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Team, User
from crm.models import Contact, Customer
from crm.normalize import normalize_name, pinyin_keys, split_phones
from crm.validators import validate_credit_code
from tests.factories import CustomerFactory
from visits.models import Visit
from visits.services import next_follow_up

pytestmark = pytest.mark.django_db


def seed_scale(**options):
    call_command("seed_scale", customers=50, reps=4, teams=2, visits=200, stdout=io.StringIO(), **options)


def test_fills_people_customers_contacts_and_visits():
    seed_scale()

    assert Team.objects.count() == 2
    assert User.objects.filter(username__startswith="scale-").count() == 1 + 2 + 4  # admin, managers, reps
    assert Customer.objects.count() == 50
    assert Visit.objects.count() == 200
    assert Contact.objects.count() >= 50
    primaries = Customer.objects.annotate(primaries=Count("contacts", filter=Q(contacts__is_primary=True)))
    assert set(primaries.values_list("primaries", flat=True)) == {1}


def test_customers_are_filled_as_the_services_fill_them():
    seed_scale()

    for customer in Customer.objects.all():
        assert customer.name_normalized == normalize_name(customer.name)
        assert (customer.name_pinyin, customer.name_initials) == pinyin_keys(customer.name)
        assert sorted(customer.phone_numbers.values_list("number", flat=True)) == sorted(split_phones(customer.phones))
        assert customer.grade_changes.exists()
        latest = customer.visits.order_by("-started_at").first()
        assert customer.last_contact_on == (timezone.localdate(latest.started_at) if latest else None)
        assert customer.next_follow_up_on == next_follow_up(customer)
        if customer.credit_code:
            validate_credit_code(customer.credit_code)  # every part, the organization code's check included


def test_refuses_to_run_beside_other_customers_unless_forced():
    seed_scale()
    seed_scale()  # a rerun replaces what the first run generated
    assert Customer.objects.count() == 50

    other = CustomerFactory()
    with pytest.raises(CommandError):
        seed_scale()

    seed_scale(force=True)
    assert Customer.objects.count() == 51
    assert Customer.objects.filter(pk=other.pk).exists()


def test_ownership_and_complaints_and_a_second_run_replaces_them():
    from claims.models import Claim, OwnershipEvent
    from crm.complaints.models import Complaint

    seed_scale()
    seed_scale()  # the second run clears the first, append-only history included
    owned = Customer.objects.filter(owner__isnull=False)
    assert Claim.objects.active().count() == owned.count()
    assert set(Claim.objects.values_list("holder", flat=True)) <= set(owned.values_list("owner", flat=True))
    assert OwnershipEvent.objects.count() == owned.count()
    assert not Customer.objects.filter(owner__isnull=True, pool_reason="").exists()
    assert Complaint.objects.count() == 10
    from claims.models import Dispute, OwnershipPolicy, dispute_route

    policy = OwnershipPolicy.current()
    for dispute in Dispute.objects.select_related("holder__team", "challenger"):  # routed as the services route
        assert (dispute.team, dispute.arbiter_reason) == dispute_route(dispute.holder, dispute.challenger, policy)


def test_the_pipeline_totals_follow_the_copied_deals_and_a_second_run():
    """Deals and customers are written with COPY and cleared by a second run: the statement triggers keep their
    summaries (the pipeline totals, the holdings) all along."""
    from django.db import connection

    from crm.deals.models import PipelineTotal
    from crm.deals.totals import RECOUNT

    if connection.vendor != "postgresql":
        pytest.skip("the totals are kept by PostgreSQL triggers")
    seed_scale()
    seed_scale()
    with connection.cursor() as cursor:
        cursor.execute(RECOUNT)
        recounted = {(owner, stage): (count, amount, weighted) for owner, stage, count, amount, weighted in cursor}
    kept = {
        (row.owner_id, row.stage_id): (row.count, row.amount, row.weighted)
        for row in PipelineTotal.objects.exclude(count=0)
    }
    assert kept == recounted and sum(count for count, _amount, _weighted in kept.values()) > 0
    from claims.holdings import RECOUNT as HOLDINGS_RECOUNT
    from claims.models import Holding

    with connection.cursor() as cursor:  # the customers, copied and cleared the same way, keep their holdings
        cursor.execute(HOLDINGS_RECOUNT)
        recounted_holdings = {(holder, status): count for holder, status, count in cursor}
    kept_holdings = {(row.holder_id, row.status): row.count for row in Holding.objects.exclude(count=0)}
    assert kept_holdings == recounted_holdings and sum(kept_holdings.values()) > 0


def test_leaves_every_index_and_foreign_key_as_the_migrations_made_them():
    """The load drops the big tables' foreign keys and secondary indexes and makes them again: all must be back."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL loads into bare tables")

    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "UNION ALL SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) || ' ' || "
                "condeferrable::text || condeferred::text || convalidated::text FROM pg_constraint "
                "WHERE connamespace = current_schema()::regnamespace"
            )
            return sorted(cursor.fetchall())

    before = schema()
    assert any(name == "search_name_bigrams" for _table, name, _definition in before)
    seed_scale()
    assert schema() == before


def test_the_visit_summaries_equal_a_recount_after_a_run_and_a_second_run():
    """On PostgreSQL the visits' insert triggers run once over the whole phase: the same counts and marks."""
    from claims.board.models import StaleOwner, VisitDay
    from tests.board.test_figures import expected_visit_days

    seed_scale()
    seed_scale()  # the second run's deletes go through the delete triggers, its inserts through the phase's count
    assert {key: n for key, n in expected_visit_days().items() if n} == {
        (row.author_id, row.day, row.method): row.n for row in VisitDay.objects.filter(n__gt=0)
    }
    visited_owners = set(
        Customer.objects.filter(visits__isnull=False, owner__isnull=False).values_list("owner", flat=True)
    )
    assert visited_owners and visited_owners <= set(StaleOwner.objects.values_list("owner_id", flat=True))
