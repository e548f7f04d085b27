import datetime

import pytest
from django.utils import timezone

from crm.models import Customer, Grade, Status
from tests.concurrency import run_at_once
from tests.factories import CustomerFactory, UserFactory
from visits.models import Method, Reminder, ReminderKind, Snooze, Visit
from visits.sweep import followup_sweep

pytestmark = pytest.mark.clock

TODAY = datetime.date(2026, 11, 23)


def make_customers(owner, count, *, grade=Grade.B, last_contact_days_ago=20):
    return [
        CustomerFactory(
            owner=owner,
            grade=grade,
            last_contact_on=TODAY - datetime.timedelta(days=last_contact_days_ago),
            # Registered long before TODAY (not before the real now, which moves on: from 2027-11-28 on the
            # customers would have been registered too recently for the on-site rule).
            created_at=timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(9)))
            - datetime.timedelta(days=400),
        )
        for _ in range(count)
    ]


@pytest.mark.django_db
class TestSweep:
    def test_cadence_due_by_grade_at_the_boundary(self, rep):
        on_day = CustomerFactory(owner=rep, grade=Grade.B, last_contact_on=TODAY - datetime.timedelta(days=14))
        not_yet = CustomerFactory(owner=rep, grade=Grade.B, last_contact_on=TODAY - datetime.timedelta(days=13))
        c_on_day = CustomerFactory(owner=rep, grade=Grade.C, last_contact_on=TODAY - datetime.timedelta(days=30))
        followup_sweep(TODAY)
        cadence = Reminder.objects.filter(kind=ReminderKind.CADENCE)
        assert set(cadence.values_list("customer", "due_on", "assignee")) == {
            (on_day.pk, TODAY, rep.pk),
            (c_on_day.pk, TODAY, rep.pk),
        }
        assert not Reminder.objects.filter(customer=not_yet).exists()

    def test_pool_lost_and_paused_customers_get_nothing(self, rep):
        old = TODAY - datetime.timedelta(days=90)
        CustomerFactory(owner=None, last_contact_on=old)
        CustomerFactory(owner=rep, status=Status.LOST, last_contact_on=old)
        paused = CustomerFactory(owner=rep, last_contact_on=old)
        Snooze.objects.create(
            customer=paused, until=TODAY + datetime.timedelta(days=5), reason="not now", created_by=rep
        )
        followup_sweep(TODAY)
        assert not Reminder.objects.exists()

    def test_onsite_rule_for_a_customers(self, rep):
        customer = CustomerFactory(owner=rep, grade=Grade.A, last_contact_on=TODAY - datetime.timedelta(days=2))
        visit_day = timezone.make_aware(
            datetime.datetime.combine(TODAY - datetime.timedelta(days=30), datetime.time(10))
        )
        Visit.objects.create(customer=customer, author=rep, method=Method.ONSITE, started_at=visit_day, discussion="x")
        followup_sweep(TODAY)
        assert list(Reminder.objects.values_list("kind", "due_on")) == [(ReminderKind.ONSITE, TODAY)]

    def test_pause_that_ended_reminds_once(self, rep):
        customer = CustomerFactory(owner=rep, last_contact_on=TODAY)
        Snooze.objects.create(customer=customer, until=TODAY - datetime.timedelta(days=1), reason="x", created_by=rep)
        followup_sweep(TODAY)
        followup_sweep(TODAY + datetime.timedelta(days=1))
        assert list(Reminder.objects.values_list("kind", "due_on")) == [
            (ReminderKind.SNOOZE_ENDED, TODAY - datetime.timedelta(days=1))
        ]

    def test_twice_gives_the_same_rows(self, rep):
        make_customers(rep, 5)
        first = followup_sweep(TODAY)
        rows = list(Reminder.objects.values_list("customer", "kind", "due_on").order_by("customer"))
        second = followup_sweep(TODAY)
        assert sum(first.values()) == 5 and sum(second.values()) == 0
        assert list(Reminder.objects.values_list("customer", "kind", "due_on").order_by("customer")) == rows

    def test_query_count_does_not_grow_with_customers(self, rep, django_assert_num_queries):
        make_customers(rep, 3)
        # the grade policy, then one INSERT per kind and grade (five), inside one transaction
        with django_assert_num_queries(8) as small:
            followup_sweep(TODAY)
        make_customers(rep, 40, grade=Grade.A)
        with django_assert_num_queries(len(small.captured_queries)):
            followup_sweep(TODAY)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_give_the_same_rows():
    rep = UserFactory()
    make_customers(rep, 30)
    make_customers(rep, 10, grade=Grade.A, last_contact_days_ago=40)
    _results, errors = run_at_once(lambda: followup_sweep(TODAY))
    assert errors == []
    assert Reminder.objects.filter(kind=ReminderKind.CADENCE).count() == 40
    assert Reminder.objects.filter(kind=ReminderKind.ONSITE).count() == 10
    assert Customer.objects.count() == 40
