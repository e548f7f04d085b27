"""A real Celery worker (with embedded beat) against the test database.

The worker is a separate process with its own connections, so the test data
must be committed: these tests use transactional database access.
"""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from crm.celery import app as celery_app
from crm.models import JobHeartbeat
from crm.tasks import heartbeat
from tests.services import redis_url

ROOT = Path(__file__).resolve().parents[2]


def database_url():
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}/{db['NAME']}"


def start_worker(tmp_path, *, broker, with_beat):
    if broker == "redis":
        celery_app.control.purge()  # messages left by an earlier run would count twice
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url() if broker == "redis" else "",
        "CELERY_FOLDER": str(tmp_path / "celery"),
        "HEARTBEAT_SECONDS": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "crm",
        "worker",
        "--concurrency",
        "1",
        "--loglevel",
        "INFO",
    ]
    if with_beat:
        command.append("--beat")
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(process, tmp_path):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return (tmp_path / "worker.log").read_text()


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", [pytest.param("redis", marks=pytest.mark.redis), "filesystem"])
def test_beat_schedules_heartbeat_and_worker_runs_it(tmp_path, broker):
    process = start_worker(tmp_path, broker=broker, with_beat=True)
    try:
        ran = wait_for(lambda: JobHeartbeat.objects.filter(name="heartbeat", runs__gte=2).exists())
    finally:
        log = stop(process, tmp_path)
    assert ran, f"beat + worker on {broker} never recorded two heartbeats:\n{log[-3000:]}"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_task_sent_through_redis_is_run_by_worker(tmp_path, settings):
    process = start_worker(tmp_path, broker="redis", with_beat=False)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        result = heartbeat.delay()
        result.get(timeout=60)
    finally:
        celery_app.conf.task_always_eager = previous
        log = stop(process, tmp_path)
    assert JobHeartbeat.objects.get(name="heartbeat").runs == 1, log[-3000:]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_morning_jobs_run_on_a_real_worker(tmp_path):
    """Sweep, escalation and the digest, as beat would start them, through Redis."""
    from crm.models import Customer
    from tests.factories import CustomerFactory, TeamFactory, UserFactory
    from visits.models import DailyDigest, Escalation, Reminder
    from visits.tasks import daily_digest_task, followup_sweep_task

    manager = UserFactory(role="manager")
    rep = UserFactory(team=TeamFactory(manager=manager))
    CustomerFactory.create_batch(3, owner=rep, grade="C", last_contact_on=datetime.date(2020, 1, 1))
    process = start_worker(tmp_path, broker="redis", with_beat=False)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        created = followup_sweep_task.delay().get(timeout=60)
        sent = daily_digest_task.delay().get(timeout=60)
        sent_again = daily_digest_task.delay().get(timeout=60)
    finally:
        celery_app.conf.task_always_eager = previous
        log = stop(process, tmp_path)
    assert created["cadence_C"] == 3 and created["escalations"] == 3, log[-3000:]
    assert Reminder.objects.filter(customer__in=Customer.objects.all()).count() == 3
    assert Escalation.objects.filter(manager=manager).count() == 3
    assert (sent, sent_again) == (2, 0)  # the rep and the manager, once each
    assert set(DailyDigest.objects.exclude(sent_at=None).values_list("user", flat=True)) == {rep.pk, manager.pk}
    assert JobHeartbeat.objects.get(name="followup_sweep").runs == 1
