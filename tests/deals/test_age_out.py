"""The nightly job: a purchase older than 12 months leaves the customer's annual purchases at local midnight,
and the suggested grade follows; a second run, or a run the same day, changes nothing."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine

from crm import reasons
from crm.deals.models import Purchase
from crm.deals.services import AGE_OUT_JOB, customer_purchases_refresh, purchases_age_out
from crm.deals.tasks import purchases_age_out_task
from crm.models import Customer, Grade, GradeChange, JobHeartbeat
from crm.services import customer_override_grade, customer_save
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# 2029-01-01 (local) minus 365 days: the first day a purchase of that day is no longer in the window.
OLD = datetime.date(2028, 1, 2)
RECENT = datetime.date(2028, 6, 1)


def at(day, hour, minute):
    return time_machine.travel(datetime.datetime(*day, hour, minute, tzinfo=SHANGHAI), tick=False)


def bought(customer, actor, *purchases):
    for day, amount in purchases:
        Purchase.objects.create(customer=customer, amount=Decimal(amount), bought_on=day)
    customer = Customer.objects.get(pk=customer.pk)
    customer_purchases_refresh(customer)
    return customer_save(customer=customer, actor=actor)


@pytest.fixture
def buyer(rep):
    with at((2028, 12, 31), 22, 0):
        customer = CustomerFactory(owner=rep, annual_purchases=50_000)
        return bought(customer, rep, (OLD, 1_200_000), (RECENT, 400_000))


def test_a_purchase_leaves_the_window_at_local_midnight_and_the_grade_follows(buyer):
    assert (buyer.annual_purchases, buyer.grade) == (1_600_000, Grade.A)
    with at((2028, 12, 31), 23, 55):  # 15:55 UTC: still the 31st here
        assert purchases_age_out() == 0
    buyer.refresh_from_db()
    assert (buyer.annual_purchases, buyer.grade) == (1_600_000, Grade.A)

    with at((2029, 1, 1), 0, 5):  # 16:05 UTC on the 31st: the 1st here
        assert purchases_age_out() == 1
    buyer.refresh_from_db()
    assert (buyer.annual_purchases, buyer.grade) == (400_000, Grade.B)
    change = buyer.grade_changes.latest("changed_at")
    assert (change.from_grade, change.to_grade, change.changed_by) == (Grade.A, Grade.B, None)
    assert change.reason_code == reasons.GRADE_FACTS_CHANGED


def test_a_second_run_changes_nothing(buyer):
    with at((2029, 1, 1), 0, 20):
        assert purchases_age_out() == 1
        history = GradeChange.objects.count()
        assert purchases_age_out() == 0
    with at((2029, 1, 1), 23, 50):
        assert purchases_age_out() == 0
    assert GradeChange.objects.count() == history
    assert JobHeartbeat.objects.get(name=AGE_OUT_JOB).runs == 3


def test_a_missed_night_is_caught_up(rep, buyer):
    with at((2028, 12, 31), 22, 0):
        later = bought(CustomerFactory(owner=rep), rep, (datetime.date(2028, 1, 3), 500_000))
        JobHeartbeat.beat(AGE_OUT_JOB)
    with at((2029, 1, 3), 0, 20):  # no run on the night of the 1st nor the 2nd
        assert purchases_age_out() == 2
    buyer.refresh_from_db()
    later.refresh_from_db()
    assert (buyer.annual_purchases, later.annual_purchases) == (400_000, 0)


def test_only_old_purchases_count_zero_not_the_typed_estimate(rep):
    with at((2028, 12, 31), 22, 0):
        customer = bought(CustomerFactory(owner=rep, annual_purchases=2_000_000), rep, (OLD, 350_000))
        assert (customer.annual_purchases, customer.grade) == (350_000, Grade.B)
    with at((2029, 1, 1), 0, 20):
        purchases_age_out()
    customer.refresh_from_db()
    assert (customer.annual_purchases, customer.grade) == (0, Grade.C)


def test_a_grade_a_manager_set_stays(buyer, manager):
    with at((2028, 12, 31), 22, 0):
        customer_override_grade(customer=buyer, grade=Grade.A, actor=manager, reason="战略伙伴")
    with at((2029, 1, 1), 0, 20):
        purchases_age_out_task.apply()
    buyer.refresh_from_db()
    assert (buyer.annual_purchases, buyer.grade, buyer.grade_overridden) == (400_000, Grade.A, True)


def test_customers_without_purchases_keep_their_estimate(rep, buyer):
    with at((2028, 12, 31), 22, 0):
        estimate = CustomerFactory(owner=rep, annual_purchases=800_000)
    with at((2029, 1, 1), 0, 20):
        purchases_age_out()
    estimate.refresh_from_db()
    assert estimate.annual_purchases == 800_000
