import datetime

import pytest
from django.utils import timezone

from claims.models import Claim, EventKind
from claims.sweep import lapse_sweep, lapse_warnings, ownership_sweep
from claims.tasks import ownership_sweep_task
from crm.models import Customer, JobHeartbeat, Notification, NotificationKind, PoolReason
from tests.concurrency import run_at_once
from tests.factories import CustomerFactory, UserFactory
from visits.models import Reminder, ReminderKind, ReminderState

pytestmark = pytest.mark.clock

TODAY = datetime.date(2026, 11, 23)


def held(rep, protected_until, **fields):
    customer = CustomerFactory(owner=rep, **fields)
    Claim.objects.create(customer=customer, holder=rep, renewed_on=protected_until - datetime.timedelta(days=90),
                         protected_until=protected_until)  # fmt: skip
    return customer


@pytest.mark.django_db
class TestLapse:
    def test_lapses_the_day_after_the_last_protected_day(self, rep):
        last_day_today = held(rep, TODAY)
        ended_yesterday = held(rep, TODAY - datetime.timedelta(days=1))
        assert lapse_sweep(TODAY) == 1
        last_day_today.refresh_from_db()
        ended_yesterday.refresh_from_db()
        assert last_day_today.owner == rep
        assert (ended_yesterday.owner, ended_yesterday.pool_reason) == (None, PoolReason.LAPSED)
        assert ended_yesterday.pool_since is not None
        claim = Claim.objects.get(customer=ended_yesterday)
        assert claim.end_reason == "lapsed" and claim.ended_at is not None
        event = ended_yesterday.ownership_events.get()
        assert (event.kind, event.from_user, event.actor) == (EventKind.LAPSED, rep, None)
        assert Notification.objects.get(kind=NotificationKind.CLAIM_LAPSED).user == rep

    def test_second_run_changes_nothing(self, rep):
        held(rep, TODAY - datetime.timedelta(days=3))
        lapse_sweep(TODAY)
        assert lapse_sweep(TODAY) == 0
        assert Notification.objects.count() == 1
        assert Customer.objects.get().ownership_events.count() == 1

    def test_lapsed_customers_reminders_close(self, rep):
        customer = held(rep, TODAY - datetime.timedelta(days=1))
        reminder = Reminder.objects.create(customer=customer, assignee=rep, kind=ReminderKind.CADENCE, due_on=TODAY)
        lapse_sweep(TODAY)
        reminder.refresh_from_db()
        assert reminder.state == ReminderState.DISMISSED

    def test_warning_once_within_the_warning_days(self, rep):
        soon = held(rep, TODAY + datetime.timedelta(days=7))
        later = held(rep, TODAY + datetime.timedelta(days=8))
        assert lapse_warnings(TODAY) == 1
        assert lapse_warnings(TODAY + datetime.timedelta(days=1)) == 1  # `later` enters the window
        assert lapse_warnings(TODAY + datetime.timedelta(days=1)) == 0
        assert soon.ownership_events.filter(kind=EventKind.WARNED).count() == 1
        reminder = Reminder.objects.get(customer=soon, kind=ReminderKind.CLAIM_LAPSING)
        assert (reminder.assignee, reminder.due_on) == (rep, TODAY + datetime.timedelta(days=7))
        assert Reminder.objects.filter(customer=later).count() == 1

    def test_task_runs_both_and_records_its_heartbeat(self, rep):
        held(rep, timezone.localdate() - datetime.timedelta(days=1))
        held(rep, timezone.localdate() + datetime.timedelta(days=2))
        assert ownership_sweep_task.delay().get() == {"warned": 1, "lapsed": 1}
        assert JobHeartbeat.objects.get(name="ownership_sweep").runs == 1
        assert ownership_sweep() == {"warned": 0, "lapsed": 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_lapse_sweeps_lapse_each_claim_once():
    rep = UserFactory()
    for _ in range(30):
        held(rep, TODAY - datetime.timedelta(days=2))
    results, errors = run_at_once(lambda: lapse_sweep(TODAY))
    assert errors == []
    assert sorted(results) == [0, 30]
    assert Customer.objects.filter(owner__isnull=True).count() == 30
    assert Notification.objects.count() == 30
    assert Claim.objects.filter(end_reason="lapsed").count() == 30
