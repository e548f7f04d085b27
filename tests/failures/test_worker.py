"""A real worker, on a private Redis, running the morning sweep while things go wrong.

The test holds an uncommitted reminder that the sweep's grade C insert must wait for, so the sweep
is provably stopped inside its transaction, after it wrote grade A's reminders. Then the
worker is killed, or its database session cut, and the test checks what the database shows.
"""

import datetime
import os
import re
import signal

import psycopg2
import pytest
from django.db import connection

from crm.models import GradeRule, JobHeartbeat
from crm.tasks import enqueue, heartbeat
from tests.crm.test_celery_worker import database_url
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.polling import wait_for
from visits.models import Escalation, Reminder, ReminderKind, ReminderState
from visits.tasks import followup_sweep_task

from .servers import kill_worker, pool_children, start_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LONG_AGO = datetime.date(2020, 1, 1)
# Three A and two C customers overdue; each reminder is past its grade's escalation limit.
SWEPT = {"cadence_A": 3, "onsite_A": 0, "cadence_B": 0, "cadence_C": 2, "snooze_ended": 0, "escalations": 5}


@pytest.fixture
def overdue_customers():
    rep = UserFactory(team=TeamFactory(manager=UserFactory(role="manager")))
    CustomerFactory.create_batch(3, owner=rep, grade="A", last_contact_on=LONG_AGO)
    return CustomerFactory.create_batch(2, owner=rep, grade="C", last_contact_on=LONG_AGO)


class UncommittedReminder:
    """Another session's INSERT of the reminder the sweep will want: the sweep waits until it ends."""

    def __init__(self, customer):
        cadence_days = GradeRule.policy()[customer.grade].cadence_days
        self.session = psycopg2.connect(**connection.get_connection_params())
        with self.session.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pid = cursor.fetchone()[0]
            cursor.execute(
                f"INSERT INTO {Reminder._meta.db_table} (customer_id, assignee_id, kind, due_on, note, state,"  # noqa: S608
                " dismissed_reason, created_at) VALUES (%s, %s, %s, %s, '', %s, '', now())",
                [customer.pk, customer.owner_id, ReminderKind.CADENCE, LONG_AGO + datetime.timedelta(days=cadence_days),
                 ReminderState.OPEN],
            )  # fmt: skip

    def release(self):
        """Roll back: the sweep's insert goes ahead."""
        self.session.rollback()
        self.session.close()


def sessions_waiting_for(pids) -> dict[int, bool]:
    """The sessions blocked by any of `pids`, each with whether it has written in its transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_xid IS NOT NULL FROM pg_stat_activity WHERE pg_blocking_pids(pid) && %s::int[]",
            [list(pids)],
        )
        return dict(cursor.fetchall())


def session_gone(pid) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s)", [pid])
        return cursor.fetchone()[0]


def assert_nothing_swept():
    assert Reminder.objects.count() == 0
    assert Escalation.objects.count() == 0
    assert not JobHeartbeat.objects.filter(name="followup_sweep").exists()


def assert_swept_once():
    assert Reminder.objects.filter(kind=ReminderKind.CADENCE).count() == 5
    assert Escalation.objects.count() == 5
    assert JobHeartbeat.objects.get(name="followup_sweep").runs == 1


@pytest.fixture
def worker(tmp_path, celery_on_private_redis):
    process = start_worker(tmp_path, database_url=database_url(), broker_url=celery_on_private_redis.url)
    yield process
    kill_worker(process)


def worker_log(tmp_path):
    return (tmp_path / "worker.log").read_text()


def test_pool_process_killed_mid_sweep_rolls_back_and_the_redelivered_sweep_completes(
    overdue_customers, worker, tmp_path
):
    """What the kernel's OOM killer does to a pool process; the message goes back on the queue."""
    blocker = UncommittedReminder(overdue_customers[0])
    try:
        result = followup_sweep_task.delay()
        waiting = wait_for(lambda: sessions_waiting_for([blocker.pid]))
        assert waiting, f"the sweep never reached its grade C insert:\n{worker_log(tmp_path)[-3000:]}"
        (first_sweep, wrote), *others = waiting.items()
        assert wrote and not others  # inside its transaction, grade A's reminders written

        children = pool_children(worker)
        assert len(children) == 1
        os.kill(children[0], signal.SIGKILL)

        # The message is requeued and a new pool process takes it: it waits behind the killed sweep's
        # session (still open until the blocker ends, then it finds its client gone and rolls back).
        redelivered = wait_for(lambda: set(sessions_waiting_for([blocker.pid, first_sweep])) - {first_sweep})
        assert redelivered, f"the sweep was not run again:\n{worker_log(tmp_path)[-3000:]}"
        assert_nothing_swept()
    finally:
        blocker.release()

    assert result.get(timeout=60) == SWEPT
    assert session_gone(first_sweep)
    assert_swept_once()
    assert "SIGKILL" in worker_log(tmp_path)


def test_whole_worker_killed_mid_sweep_leaves_nothing_and_the_next_run_completes(overdue_customers, worker, tmp_path):
    """What a crash or a container kill does; beat sends the next sweep, here sent at once."""
    blocker = UncommittedReminder(overdue_customers[0])
    try:
        followup_sweep_task.delay()
        waiting = wait_for(lambda: sessions_waiting_for([blocker.pid]))
        assert waiting, f"the sweep never reached its grade C insert:\n{worker_log(tmp_path)[-3000:]}"
        (killed_sweep, wrote), *_ = waiting.items()
        assert wrote

        kill_worker(worker)
        assert_nothing_swept()
    finally:
        blocker.release()
    # Released, the killed sweep's session finishes its statement, finds its client gone and rolls back.
    assert wait_for(lambda: session_gone(killed_sweep), timeout=30)
    assert_nothing_swept()

    assert followup_sweep_task.apply().get() == SWEPT
    assert_swept_once()


def test_sweep_whose_database_session_is_cut_retries_with_backoff_and_completes(overdue_customers, worker, tmp_path):
    """A database restart or failover cuts the session mid-sweep: the task retries, on a new connection."""
    blocker = UncommittedReminder(overdue_customers[0])
    try:
        result = followup_sweep_task.delay()
        waiting = wait_for(lambda: sessions_waiting_for([blocker.pid]))
        assert waiting, f"the sweep never reached its grade C insert:\n{worker_log(tmp_path)[-3000:]}"
        (cut_sweep, _wrote), *_ = waiting.items()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [cut_sweep])

        retried = wait_for(lambda: set(sessions_waiting_for([blocker.pid])) - {cut_sweep}, timeout=30)
        assert retried, f"the sweep was not retried:\n{worker_log(tmp_path)[-3000:]}"
        assert_nothing_swept()
    finally:
        blocker.release()

    assert result.get(timeout=60) == SWEPT
    assert_swept_once()
    log = worker_log(tmp_path)
    retry = re.search(r"Retry in (\d+)s: OperationalError", log)
    assert retry, log[-3000:]
    assert 0 <= int(retry.group(1)) <= 5  # the first pause: drawn at random below the 5 s backoff


def test_worker_rides_out_a_broker_restart(worker, celery_on_private_redis, tmp_path):
    """Redis goes away and comes back: the worker reconnects by itself and runs what is sent next."""
    assert enqueue(heartbeat)
    assert wait_for(lambda: JobHeartbeat.objects.filter(name="heartbeat", runs=1).exists())

    celery_on_private_redis.kill()
    assert wait_for(lambda: "Connection to broker lost" in worker_log(tmp_path), timeout=30), worker_log(tmp_path)
    celery_on_private_redis.start()

    assert enqueue(heartbeat)
    ran_again = wait_for(lambda: JobHeartbeat.objects.filter(name="heartbeat", runs=2).exists())
    assert ran_again, worker_log(tmp_path)[-3000:]
