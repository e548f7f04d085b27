import datetime
import os
import threading
import time
import zoneinfo

import pytest
import time_machine
from django.core.signals import request_finished, request_started
from django.db import connection
from django.db.models.signals import post_migrate
from django.utils import translation

from tests.factories import TeamFactory, UserFactory

UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _default_stages_again(sender, app_config, apps=None, **kwargs):
    """A transactional test's flush empties every table, then sends post_migrate: the deal stages and close
    reasons the data migration seeded are put back, so the tests after it find DOMAIN §6's defaults."""
    if app_config.label != "deals":
        return
    from django.apps import apps as global_apps

    from crm.deals.defaults import seed_defaults

    apps = apps or global_apps  # flush sends no `apps`
    seed_defaults(apps.get_model("deals", "Stage"), apps.get_model("deals", "CloseReason"))


post_migrate.connect(_default_stages_again, dispatch_uid="tests.default_stages_again")


class _RequestsInFlight:
    """The live server's threads answering a request right now. A browser test's page may still be talking to the
    server when the test ends (a service worker's prefetch, the offline queue's replay); the flush after a
    transactional test waits for them, or it meets their rows and locks. The test client's requests run in the
    test's own thread and are not waited for."""

    def __init__(self):
        self.threads = set()
        self.lock = threading.Lock()

    def started(self, **kwargs):
        with self.lock:
            self.threads.add(threading.get_ident())

    def finished(self, **kwargs):
        with self.lock:
            self.threads.discard(threading.get_ident())

    def others(self):
        with self.lock:
            return self.threads - {threading.get_ident()}

    def wait_until_quiet(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while self.others() and time.monotonic() < deadline:
            time.sleep(0.05)


REQUESTS_IN_FLIGHT = _RequestsInFlight()
request_started.connect(REQUESTS_IN_FLIGHT.started, dispatch_uid="tests.requests_in_flight.started")
request_finished.connect(REQUESTS_IN_FLIGHT.finished, dispatch_uid="tests.requests_in_flight.finished")


def missing_service(reason):
    """Skip a test whose service is absent locally; under CI the absence is a failure."""
    if UNDER_CI:
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _require_services(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing_service("needs PostgreSQL: set DATABASE_URL")
    if request.node.get_closest_marker("redis"):
        from tests.services import redis_available

        if not redis_available():
            missing_service("needs Redis: set REDIS_URL")


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# The instants a date bug shows at: either side of local midnight, where from 00:00 to 08:00 local the
# UTC date is still yesterday's. This Sunday-to-Monday night also turns the ISO week (2028-W52 to
# 2029-W01), the month and the year, so one pair of runs crosses every period the rules count in.
CLOCK_INSTANTS = {
    "sun-23:30": datetime.datetime(2028, 12, 31, 23, 30, tzinfo=SHANGHAI),
    "mon-00:30": datetime.datetime(2029, 1, 1, 0, 30, tzinfo=SHANGHAI),
}
# Processes outside this one (a Celery worker, a live server, the browser) keep the real clock: a test
# that talks to them runs once, at the real time, even in a `clock` module.
UNFROZEN_MARKERS = ("browser", "redis")


def pytest_generate_tests(metafunc):
    """Run every test marked `clock` once at each of CLOCK_INSTANTS (the `clock_instant` fixture)."""
    definition = metafunc.definition
    if not definition.get_closest_marker("clock"):
        return
    if "live_server" in metafunc.fixturenames or any(definition.get_closest_marker(m) for m in UNFROZEN_MARKERS):
        return
    metafunc.parametrize(
        "clock_instant", list(CLOCK_INSTANTS.values()), ids=list(CLOCK_INSTANTS), indirect=True, scope="function"
    )


@pytest.fixture
def clock_instant(request):
    """The instant a `clock` test runs at (None for the others, which keep the real clock)."""
    return getattr(request, "param", None)


@pytest.fixture(autouse=True)
def _clock(clock_instant):
    """Travel to the test's instant before any other fixture makes its rows. The clock starts there and
    runs on (a clock that never moves would stall timeouts), so the test has half an hour before the
    boundary it stands beside."""
    if clock_instant is None:
        yield
        return
    with time_machine.travel(clock_instant, tick=True):
        yield


@pytest.fixture(autouse=True)
def _english_by_default():
    """A request in Chinese leaves its language active in the thread; start each test in English."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def team(db):
    return TeamFactory()


@pytest.fixture
def manager(team):
    user = UserFactory(role="manager", team=team)
    team.manager = user
    team.save()
    return user


@pytest.fixture
def rep(team, manager):
    return UserFactory(role="rep", team=team)


@pytest.fixture
def admin_user(db):
    return UserFactory(role="admin")


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture(autouse=True)
def _append_only_tables_flushable(request):
    """A transactional test's flush empties every table, which the append-only guards (ownership history,
    audit log, deal history) refuse: SQLite's DELETE triggers, and PostgreSQL's TRUNCATE trigger on a table that
    holds rows. Empty those tables first, row triggers lifted for the moment, so the flush finds them empty.
    Set up after the database, so this runs before the flush."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")) or connection.vendor not in {"sqlite", "postgresql"}:
        return
    if "live_server" in request.fixturenames:
        REQUESTS_IN_FLIGHT.wait_until_quiet()
    from accounts.append_only import row_guard_lifted
    from accounts.models import AuditEntry
    from claims.models import OwnershipEvent
    from crm.deals.models import StageChange

    for table in (OwnershipEvent._meta.db_table, AuditEntry._meta.db_table, StageChange._meta.db_table):
        # One transaction: the guard is down for this DELETE only.
        with row_guard_lifted(connection, table), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a model's table name)
