"""PostgreSQL restarted under load: gunicorn serving threads that hit the database the whole time.

The database is a private cluster in a temporary folder (never the shared server): migrated, given a
rep with a session, stopped for a moment and started again while four threads keep asking for pages.
"""

import http.client
import os
import subprocess
import sys
import threading
import time

import pytest

from tests.polling import wait_for

from .servers import ROOT, free_port

pytestmark = pytest.mark.postgres

UNAVAILABLE = "The database is unavailable, try again in a moment."
SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
from crm.models import Customer
rep = User.objects.create_user("rep", password="unused-here-1", role="rep")
Customer.objects.create(name="青岛杰航机械有限公司", owner=rep)
session = SessionStore()
session.update({SESSION_KEY: str(rep.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: rep.get_session_auth_hash()})
session.create()
print(session.session_key)
"""


def django_env(tmp_path, database_url):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DEBUG": "true",  # the technical 500 page, traceback and all, if anything escaped the middleware
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "CELERY_FOLDER": str(tmp_path / "celery"),
    }


def manage(env, *args):
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=120).stdout


class Load:
    """Threads asking for the customer list, as a signed-in rep, until stopped; every answer is kept."""

    def __init__(self, port, session_key, threads=4):
        self.port, self.session_key = port, session_key
        self.answers = []  # (asked at, status or the exception's name, body)
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.ask_until_stopped) for _ in range(threads)]

    def get(self, path, *, signed_in=True, timeout=20):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Cookie": f"sessionid={self.session_key}"} if signed_in else {}
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode(), response.getheader("Retry-After")
        finally:
            connection.close()

    def ask_until_stopped(self):
        while not self.stopping.is_set():
            asked_at = time.monotonic()
            try:
                status, body, retry_after = self.get("/customers/")
            except Exception as error:  # noqa: BLE001 - a hang or a cut connection is what this test looks for
                status, body, retry_after = type(error).__name__, "", None
            self.answers.append((asked_at, status, body, retry_after))

    def count(self, status, since):
        return sum(1 for asked_at, answer, *_ in self.answers if answer == status and asked_at >= since)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.fixture
def gunicorn(tmp_path, private_cluster):
    env = django_env(tmp_path, private_cluster.url)
    manage(env, "migrate", "--verbosity", "0")
    session_key = manage(env, "shell", "--command", SETUP).strip().splitlines()[-1]
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
    command = [sys.executable, "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", "4", "--timeout", "60"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    load = Load(port, session_key)

    def answers_ok():
        try:
            return load.get("/healthz", signed_in=False, timeout=5)[0] == 200
        except OSError:
            return False

    try:
        assert wait_for(answers_ok, timeout=60), (tmp_path / "gunicorn.log").read_text()[-3000:]
        yield load
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_requests_fail_cleanly_while_the_database_restarts_and_then_succeed(gunicorn, private_cluster, tmp_path):
    with gunicorn as load:
        started = time.monotonic()
        assert wait_for(lambda: load.count(200, started) >= 8), load.answers[-5:]

        private_cluster.stop()
        stopped = time.monotonic()
        assert wait_for(lambda: load.count(503, stopped) >= 40), load.answers[-5:]
        health_while_down = load.get("/healthz", signed_in=False)  # as a load balancer asks

        starting = time.monotonic()
        private_cluster.start()
        restarted = time.monotonic()
        assert wait_for(lambda: load.count(200, restarted) >= 8), load.answers[-5:]
    log = (tmp_path / "gunicorn.log").read_text()

    statuses = {answer for _, answer, *_ in load.answers}
    assert statuses == {200, 503}, (statuses, log[-3000:])  # no 500, no timeout, no connection cut
    for _, status, body, retry_after in load.answers:
        if status == 503:
            assert UNAVAILABLE in body and "Traceback" not in body
            assert retry_after == "10"
    # Asked once the database was down: refused; asked once it was back: served, on fresh connections.
    assert {answer for asked_at, answer, *_ in load.answers if stopped <= asked_at < starting} == {503}
    assert {answer for asked_at, answer, *_ in load.answers if asked_at >= restarted} == {200}
    assert health_while_down[:2] == (503, "db down, broker ok")
    print(f"{len(load.answers)} requests: {load.count(503, 0)} answered 503 during the outage")
