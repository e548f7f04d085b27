"""Many people at once: reps and managers clicking through gunicorn over real HTTP, for a set time.

    manage.py loadtest [--users 30] [--duration 60] [--think 1-3] [--warmup 10] [--workers 3 --threads 1] [--url URL]

Against a database filled by `manage.py seed_scale`. Without --url it starts gunicorn itself
(production settings: DEBUG off, static files collected, cookies over plain HTTP on localhost),
waits until /healthz answers, and stops it at the end. Each simulated person logs in through the
login form with its CSRF token, then repeats a journey with a pause of --think seconds (a uniform
draw) between clicks, as people do. Nobody clicks the instant everyone has logged in: each person's first click
comes after a pause of their own, and the clock starts after --warmup seconds of clicking, once the pauses have
spread the clicks out as a team's are (a start in step sent 100 requests in the same millisecond, a queue a
team never makes, and put My day and the board, every round's first page, at a p95 above a second):

- a rep (four in five users): my day, customer list, a customer card, a name search, the duplicate
  check, and every third round logs a phone call on one of their customers (a real POST: visits
  written by the load test stay, as a rep's would);
- a manager: the board, the filtered customer list, complaints, disputes, the pool.

It prints per page: requests, errors (anything but 200/302), median and p95 in milliseconds, and
in total: requests per second, errors and p95. Writes JSON beside the bench's results.
"""

import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from claims.board.management.commands.bench import SPEED_LOOP, python_speed, summary
from crm.models import Customer

PREFIX = "scale-"
PASSWORD = "scale12345"  # seed_scale's password for its generated people
# Who clicks what, and how long they pause: sampling for a simulation, not secrets.
RNG = random.Random()  # noqa: S311
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One person's browser: a keep-alive connection, cookies, and the CSRF token of the last form."""

    def __init__(self, base_url, record):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.connection = None
        self.cookies = {}
        self.record = record

    def request(self, name, method, path, data=None):
        body = urllib.parse.urlencode(data) if data is not None else None
        headers = {"Host": f"{self.host}:{self.port}", "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
                "Referer": f"http://{self.host}:{self.port}{path}",
            }
        started = time.perf_counter()
        status, text = None, ""
        for attempt in (1, 2):
            reused = self.connection is not None
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                status = response.status
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: a browser opens a new one and resends.
                self.connection = None
                if not reused or attempt == 2:
                    break
            except (OSError, http.client.HTTPException):
                self.connection = None  # anything else is an error; the next request reconnects
                break
        if status is not None:
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    cookie_name, _, rest = value.partition("=")
                    self.cookies[cookie_name.strip()] = rest.split(";", 1)[0]
        self.record(name, time.perf_counter() - started, status)
        return status, text

    def log_in(self, username):
        _status, page = self.request("login_page", "GET", reverse("accounts:login"))
        token = CSRF_FIELD.search(page)
        data = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else ""}
        status, _page = self.request("login_post", "POST", reverse("accounts:login"), data)
        return status == 302


@dataclass
class Person:
    user: User
    customers: list = field(default_factory=list)  # pks a rep holds
    names: list = field(default_factory=list)  # name fragments to search for


def rep_journey(browser, person, round_number, think):
    customer = RNG.choice(person.customers)
    steps = [
        ("day", lambda: browser.request("day", "GET", reverse("visits:day"))),
        ("customer_list", lambda: browser.request("customer_list", "GET", reverse("crm:customer_list"))),
        (
            "customer_card",
            lambda: browser.request("customer_card", "GET", reverse("crm:customer_detail", args=[customer])),
        ),
        (
            "customer_search",
            lambda: browser.request(
                "customer_search",
                "GET",
                reverse("crm:customer_list") + "?" + urllib.parse.urlencode({"q": RNG.choice(person.names)}),
            ),
        ),
        (
            "duplicate_check",
            lambda: browser.request(
                "duplicate_check",
                "GET",
                reverse("claims:duplicate_check") + "?" + urllib.parse.urlencode({"q": RNG.choice(person.names)}),
            ),
        ),
    ]
    for _name, step in steps:
        step()
        think()
    if round_number % 3 == 0:
        path = reverse("visits:visit_create", args=[customer])
        _status, page = browser.request("visit_form", "GET", path)
        token = CSRF_FIELD.search(page)
        data = {
            "method": "phone",
            "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "discussion": "压力测试：电话跟进报价。",
            "csrfmiddlewaretoken": token.group(1) if token else "",
        }
        browser.request("visit_post", "POST", path, data)
        think()


def manager_journey(browser, person, round_number, think):
    customers = reverse("crm:customer_list")
    for name, path in [
        ("board", reverse("board:board")),
        ("customer_list_filtered", customers + "?grade=A&overdue=true"),
        ("complaint_list", reverse("complaints:list")),
        ("dispute_queue", reverse("claims:dispute_list")),
        ("pool", reverse("claims:pool")),
    ]:
        browser.request(name, "GET", path)
        think()


def free_port():
    """A port nothing listens on now, so that a developer's server on a fixed port never meets the load test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Command(BaseCommand):
    help = "Simulate reps and managers using the app at once through gunicorn; print throughput and latency."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=30)
        parser.add_argument("--duration", type=int, default=60, help="Seconds of load after everyone logged in.")
        parser.add_argument("--think", default="1-3", help="Seconds between a person's clicks: MIN-MAX.")
        parser.add_argument("--warmup", type=float, default=10, help="Seconds of clicking before the clock starts.")
        parser.add_argument("--url", default="", help="A running server; without it gunicorn is started here.")
        parser.add_argument("--port", type=int, default=0, help="Port for gunicorn here; 0: a free one.")
        parser.add_argument("--workers", type=int, default=3)  # measured best on 2 cores: README
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--json", dest="json_path", default="bench/loadtest.json")

    def handle(self, *args, users, duration, think, warmup, url, port, workers, threads, seed, json_path, **options):
        low, _, high = think.partition("-")
        think_range = (float(low), float(high or low))
        RNG.seed(seed)
        people = self.people(users)
        speed_before = python_speed()
        server = None
        if not url:
            port = port or free_port()
            url = f"http://127.0.0.1:{port}"
            server = self.start_gunicorn(port, workers, threads)
        try:
            results = self.run(url, people, duration, think_range, warmup)
        finally:
            if server is not None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
        results |= {
            "users": users,
            "duration": duration,
            "think": think,
            "warmup": warmup,
            "workers": workers,
            "threads": threads,
            # The machine's speed before and after (bench.python_speed): p95 follows it when the load is near
            # what the machine can serve.
            "speed_before": speed_before,
            "speed_after": python_speed(),
        }
        self.report(results)
        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        self.stdout.write(f"Results in {path}.")

    def people(self, users):
        """Four reps for each manager, generated ones that hold customers."""
        managers = list(User.objects.filter(username__startswith=PREFIX, role=Role.MANAGER).order_by("username"))
        reps = list(
            User.objects.filter(username__startswith=f"{PREFIX}rep-", role=Role.REP)
            .annotate(held=Count("customers"))
            .filter(held__gt=0)
            .order_by("username")
        )
        if not managers or not reps:
            raise CommandError("No generated people with customers: run manage.py seed_scale first.")
        manager_count = max(1, users // 5)
        chosen = [Person(user) for user in managers[:manager_count]]
        for user in reps[: users - len(chosen)]:
            held = list(Customer.objects.filter(owner=user).values_list("pk", "name")[:50])
            chosen.append(Person(user, customers=[pk for pk, _ in held], names=[name[2:5] for _, name in held]))
        if len(chosen) < users:
            raise CommandError(f"Only {len(chosen)} generated people to log in; ask for fewer --users.")
        return chosen

    def start_gunicorn(self, port, workers, threads):
        env = os.environ | {
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "loadtest-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_ACCESS_LOG": "",
            # The server uses the database this command sees (under the tests: the test database).
            "DATABASE_URL": database_url(connection.settings_dict),
        }
        manage = [sys.executable, "manage.py"]
        manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
        sources = [path for folder in settings.STATICFILES_DIRS for path in Path(folder).rglob("*") if path.is_file()]
        if not manifest.exists() or max(path.stat().st_mtime for path in sources) > manifest.stat().st_mtime:
            self.stdout.write("Collecting static files (production serves the collected, hashed files)…")
            subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], cwd=settings.BASE_DIR, env=env, check=True)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "crm.wsgi",
                "--config=gunicorn.conf.py",  # production's, with the options below for this run
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers}",
                f"--threads={threads}",
                "--worker-class=gthread",
                "--log-level=warning",
            ],  # fmt: skip
            cwd=settings.BASE_DIR,
            env=env,
            start_new_session=True,
        )
        for _ in range(100):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
                if probe.getresponse().status == 200:
                    return server
            except OSError:
                pass
            if server.poll() is not None:
                raise CommandError("gunicorn did not start; see its output above.")
            time.sleep(0.2)
        os.killpg(server.pid, signal.SIGTERM)
        raise CommandError("gunicorn did not answer /healthz within 20 s.")

    def run(self, url, people, duration, think_range, warmup):
        timings = defaultdict(list)
        statuses = defaultdict(lambda: defaultdict(int))
        lock = threading.Lock()
        measuring = threading.Event()
        stop = threading.Event()

        def record(name, seconds, status):
            if not measuring.is_set():
                return  # logins and warm-up are not part of the measured minute
            with lock:
                timings[name].append(seconds)
                statuses[name][status] += 1

        ready = threading.Barrier(len(people) + 1)
        login_failures = []

        def person_loop(person):
            browser = Browser(url, record)
            if not browser.log_in(person.user.username):
                login_failures.append(person.user.username)
            ready.wait()
            journey = manager_journey if person.user.role == Role.MANAGER else rep_journey
            round_number = 0

            def think():
                stop.wait(RNG.uniform(*think_range))

            think()  # people start at moments of their own, not all in the same millisecond
            while not stop.is_set():
                round_number += 1
                journey(browser, person, round_number, think)

        threads = [threading.Thread(target=person_loop, args=(person,), daemon=True) for person in people]
        for thread in threads:
            thread.start()
        ready.wait()
        if login_failures:
            stop.set()
            raise CommandError(f"Could not log in: {', '.join(login_failures)}")
        stop.wait(warmup)
        measuring.set()
        started = time.perf_counter()
        stop.wait(duration)
        stop.set()
        measuring.clear()
        elapsed = time.perf_counter() - started
        for thread in threads:
            thread.join(timeout=60)
        pages = {}
        for name, seconds in sorted(timings.items()):
            errors = sum(n for status, n in statuses[name].items() if status not in (200, 302))
            pages[name] = {
                "requests": len(seconds),
                "errors": errors,
                **_percentiles(seconds),
                "statuses": {str(status): n for status, n in statuses[name].items()},
            }
        everything = [s for seconds in timings.values() for s in seconds]
        total_errors = sum(page["errors"] for page in pages.values())
        return {
            "when": timezone.now().isoformat(timespec="seconds"),
            "cpu_count": os.cpu_count(),
            "seconds": round(elapsed, 1),
            "requests": len(everything),
            "requests_per_second": round(len(everything) / elapsed, 1),
            "errors": total_errors,
            **{f"all_{key}": value for key, value in _percentiles(everything).items()},
            "pages": pages,
        }

    def report(self, results):
        self.stdout.write(f"{'page':24} {'requests':>9} {'errors':>7} {'median ms':>10} {'p95 ms':>8}")
        for name, page in results["pages"].items():
            self.stdout.write(
                f"{name:24} {page['requests']:>9} {page['errors']:>7} {page['median_ms']:>10} {page['p95_ms']:>8}"
            )
        self.stdout.write(
            f"{results['users']} users, {results['seconds']} s after {results['warmup']:g} s of warm-up: "
            f"{results['requests']} requests, "
            f"{results['requests_per_second']} per second, {results['errors']} errors, "
            f"median {results['all_median_ms']} ms, p95 {results['all_p95_ms']} ms "
            f"(gunicorn {results['workers']} workers x {results['threads']} threads, {results['cpu_count']} CPUs; "
            f"a Python loop of {SPEED_LOOP:,} additions took {results['speed_before']} s before, "
            f"{results['speed_after']} s after)"
        )


def database_url(db):
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise CommandError("The load test needs PostgreSQL: gunicorn's workers share the database with it.")
    credentials = urllib.parse.quote(db["USER"] or "postgres")
    if db["PASSWORD"]:
        credentials += ":" + urllib.parse.quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _percentiles(seconds):
    if not seconds:
        return {"median_ms": None, "p95_ms": None}
    median, p95 = summary(seconds)
    return {"median_ms": round(median * 1000, 1), "p95_ms": round(p95 * 1000, 1)}
