"""Time the hot pages and the beat jobs on the data in the database (filled by `manage.py seed_scale`).

    manage.py bench [--runs 20] [--job-runs 3] [--only board,customer_list,...] [--json bench/results.json]

Pages go through the whole Django stack with the test client (every middleware runs), DEBUG off and
templates cached as in production,
logged in as a generated manager and one of their reps who holds customers. Each page is requested
--runs + 1 times; the first is a warm-up and not counted. The POSTs and the jobs run inside a
transaction that is rolled back after every run, so the data does not drift from run to run; the
whole bench (logins included) runs in one transaction that is rolled back at the end.

For a page: median and p95 in milliseconds, SQL statements of the last run and the status codes
(anything but 200/302 is flagged). For a job: median and p95 in seconds over --job-runs, SQL
statements, the Python memory it peaked at (tracemalloc, taken on the warm-up run because tracing
slows the code) and the process's peak RSS so far. A table is printed and JSON written for comparing runs.
"""

import datetime
import functools
import itertools
import json
import os
import platform
import resource
import statistics
import time
import tracemalloc
import uuid
import warnings
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.template import engines
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from claims.board.digest import digest_context
from claims.board.services import board_scope
from claims.models import HoldingLimit
from claims.sweep import lapse_sweep, lapse_warnings
from crm.complaints.services import complaint_deadline_alerts
from crm.models import Customer
from crm.pdf import render_pdf_bytes
from visits.models import Visit
from visits.sweep import followup_sweep

PREFIX = "scale-"  # as seed_scale names its users
OK = {200, 302}
DEEP_PAGE = 100


@dataclass
class Page:
    name: str
    who: str  # "manager" or "rep"
    method: str  # "GET" or "POST"; a POST is rolled back after each run
    url: Callable  # fixture -> path with query string
    data: Callable | None = None  # fixture -> POST data


def customers_url(**query):
    return lambda f: reverse("crm:customer_list") + (f"?{urlencode(query)}" if query else "")


def visit_data(f):
    return {
        "method": "phone",
        "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "discussion": "基准测试：电话沟通五轴加工中心的报价。",
    }


def registration_data(f):
    n = next(f.counter)
    return {
        "name": f"基准测试{f.tag}{n:04d}号精工有限公司",
        "phones": f"139{f.tag_digits}{n:04d}",
        "need": "需要两台立式加工中心",
        "status": "prospect",
        "relationship_level": "ordinary",
    }


PAGES = [
    Page("board", "manager", "GET", lambda f: reverse("board:board")),
    Page("customer_list", "manager", "GET", customers_url()),
    Page("customer_list_rep", "rep", "GET", customers_url()),
    Page("customer_list_filtered", "manager", "GET", customers_url(grade="A", overdue="true")),
    Page("customer_search_name", "manager", "GET", lambda f: customers_url(q=f.name_piece)(f)),
    Page("customer_search_initials", "manager", "GET", lambda f: customers_url(q=f.initials)(f)),
    Page("customer_list_deep", "manager", "GET", customers_url(page=DEEP_PAGE)),
    Page("customer_card", "rep", "GET", lambda f: reverse("crm:customer_detail", args=[f.customer.pk])),
    Page("pool", "rep", "GET", lambda f: reverse("claims:pool")),
    Page("dispute_queue", "manager", "GET", lambda f: reverse("claims:dispute_list")),
    Page("complaint_list", "manager", "GET", lambda f: reverse("complaints:list")),
    Page(
        "duplicate_check",
        "rep",
        "GET",
        lambda f: reverse("claims:duplicate_check") + "?" + urlencode({"q": f.other_name}),
    ),
    Page("day", "rep", "GET", lambda f: reverse("visits:day")),
    Page("visit_post", "rep", "POST", lambda f: reverse("visits:visit_create", args=[f.customer.pk]), visit_data),
    Page("register_post", "rep", "POST", lambda f: reverse("claims:register"), registration_data),
]


def weekly_digest(f):
    """The manager's weekly digest PDF, built as send_digest builds it (not sent)."""
    with translation.override(f.manager.email_language):
        return render_pdf_bytes("board/digest_pdf.html", digest_context(board_scope(f.manager, None), f.today))


JOBS = [
    ("followup_sweep", lambda f: followup_sweep(f.today)),
    ("lapse_warnings", lambda f: lapse_warnings(f.today)),
    ("lapse_sweep", lambda f: lapse_sweep(f.today)),
    ("complaint_deadline_alerts", lambda f: complaint_deadline_alerts()),
    ("weekly_digest", weekly_digest),
]


def timed(action, *, rollback, trace=False):
    """Run action once: (seconds, SQL statements, result, Python peak bytes or None)."""
    if trace:
        tracemalloc.start()
    try:
        with transaction.atomic() if rollback else nullcontext():
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                result = action()
                seconds = time.perf_counter() - started
            if rollback:
                transaction.set_rollback(True)
        peak = tracemalloc.get_traced_memory()[1] if trace else None
    finally:
        if trace:
            tracemalloc.stop()
    return seconds, len(queries.captured_queries), result, peak


def summary(seconds):
    """Median and p95 of the measured runs."""
    if len(seconds) == 1:
        return seconds[0], seconds[0]
    return statistics.median(seconds), statistics.quantiles(seconds, n=20, method="inclusive")[18]


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Command(BaseCommand):
    help = "Time the hot pages (through the test client, DEBUG off) and the beat jobs on the seeded data."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=20, help="Measured requests per page (after a warm-up).")
        parser.add_argument("--job-runs", type=int, default=3, help="Measured runs per job (after a warm-up).")
        parser.add_argument("--only", default="", help="Comma-separated page and job names.")
        parser.add_argument(
            "--json", dest="json_path", default="bench/results.json", help="Where to write the results."
        )

    def handle(self, *args, runs, job_runs, only, json_path, **options):
        if runs < 1 or job_runs < 1:
            raise CommandError("--runs and --job-runs must be at least 1.")
        pages, jobs = self.select(only)
        f = self.fixture()
        machine = self.machine()
        self.stdout.write(
            f"{machine['database']} {machine['database_version']}: {machine['customers']:,} customers, "
            f"{machine['visits']:,} visits; {machine['cpu_count']} CPUs; manager {f.manager.username}, "
            f"rep {f.rep.username}"
        )
        warnings.filterwarnings("ignore", "No directory at", UserWarning)  # whitenoise, without collectstatic
        hosts = ["testserver", *settings.ALLOWED_HOSTS]
        quiet_mail = "django.core.mail.backends.locmem.EmailBackend"
        # The outer transaction is rolled back too: the logins' sessions and last_login are not kept either.
        production = override_settings(DEBUG=False, ALLOWED_HOSTS=hosts, EMAIL_BACKEND=quiet_mail)
        with production, templates_rendered_as_in_production(), transaction.atomic():
            clients = {"manager": Client(), "rep": Client()}
            clients["manager"].force_login(f.manager)
            clients["rep"].force_login(f.rep)
            # Generated reps hold more than the default limit, which also counts registrations: give the
            # bench rep room (rolled back with the rest), so register_post times a registration, not a refusal.
            HoldingLimit.objects.update_or_create(user=f.rep, defaults={"holding_limit": 10**9})
            page_rows = [self.measure_page(page, clients[page.who], f, runs) for page in pages]
            self.print_pages(page_rows)
            job_rows = [self.measure_job(name, action, f, job_runs) for name, action in jobs]
            self.print_jobs(job_rows)
            transaction.set_rollback(True)
        results = {
            "when": timezone.now().isoformat(timespec="seconds"),
            "machine": machine,
            "runs": runs,
            "job_runs": job_runs,
            "pages": page_rows,
            "jobs": job_rows,
        }
        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dumps(results), encoding="utf-8")
        failed = [row["name"] for row in page_rows if not row["ok"]] + [row["name"] for row in job_rows if row["error"]]
        self.stdout.write(f"Results in {path}.")
        if failed:
            self.stdout.write(self.style.ERROR(f"Not OK: {', '.join(failed)}"))

    def select(self, only):
        names = [name.strip() for name in only.split(",") if name.strip()]
        known = [page.name for page in PAGES] + [name for name, _ in JOBS]
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise CommandError(f"Unknown names: {', '.join(unknown)}. Known: {', '.join(known)}.")
        pages = [page for page in PAGES if not names or page.name in names]
        jobs = [(name, action) for name, action in JOBS if not names or name in names]
        return pages, jobs

    def fixture(self):
        """The users and customers the pages are requested with, found in the generated data."""
        reps = (
            User.objects.filter(username__startswith=f"{PREFIX}rep-", team__manager__isnull=False)
            .annotate(held=Count("customers"))
            .filter(held__gt=0)
            .select_related("team__manager")
            .order_by("username")
        )
        rep = reps.first()
        if rep is None:
            raise CommandError(f"No generated rep ({PREFIX}rep-…) holds customers: run manage.py seed_scale first.")
        manager = rep.team.manager
        customer = Customer.objects.filter(owner=rep).order_by("pk").first()
        # A customer of another rep in the team, for the name search and the duplicate check.
        other = (
            Customer.objects.visible_to(manager).exclude(owner=rep).exclude(name_initials="").order_by("pk").first()
            or customer
        )
        piece = other.name[2:4] if len(other.name) > 4 else other.name
        tag = uuid.uuid4().int % 10**6  # registered names and phones differ from any earlier run's
        return SimpleNamespace(
            rep=rep,
            manager=manager,
            customer=customer,
            other_name=other.name,
            name_piece=piece,
            initials=other.name_initials[:3],
            today=timezone.localdate(),
            counter=itertools.count(1),
            tag=f"{tag:06d}",
            tag_digits=f"{tag % 10**4:04d}",
        )

    def machine(self):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SHOW server_version")
            else:
                cursor.execute("SELECT sqlite_version()")
            version = cursor.fetchone()[0]
        return {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "django": django.get_version(),
            "database": connection.vendor,
            "database_version": version,
            "customers": Customer.objects.count(),
            "visits": Visit.objects.count(),
        }

    def measure_page(self, page, client, f, runs):
        url = page.url(f)
        send = client.post if page.method == "POST" else client.get
        seconds, statuses, queries, error = [], set(), None, ""
        for run in range(runs + 1):
            data = page.data(f) if page.data else None
            request = functools.partial(send, url, data) if data is not None else functools.partial(send, url)
            try:
                took, queries, response, _ = timed(request, rollback=page.method == "POST")
            except Exception as exc:  # a view that raises: report it, go on with the others
                error = f"{type(exc).__name__}: {exc}"
                statuses.add(500)
                break
            statuses.add(response.status_code)
            if run:
                seconds.append(took)
        median, p95 = summary(seconds) if seconds else (None, None)
        return {
            "name": page.name,
            "who": page.who,
            "method": page.method,
            "url": url,
            "status": sorted(statuses),
            "ok": statuses <= OK and not error,
            "error": error,
            "median_ms": _ms(median),
            "p95_ms": _ms(p95),
            "queries": queries,
        }

    def measure_job(self, name, action, f, runs):
        seconds, peak, queries, error = [], None, None, ""
        for run in range(runs + 1):
            try:
                took, queries, _, traced = timed(lambda: action(f), rollback=True, trace=run == 0)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                break
            if run:
                seconds.append(took)
            else:
                peak = traced
        median, p95 = summary(seconds) if seconds else (None, None)
        return {
            "name": name,
            "median_s": _round(median, 3),
            "p95_s": _round(p95, 3),
            "queries": queries,
            "py_peak_mb": _round(peak and peak / 2**20, 1),
            "max_rss_mb": round(max_rss_mb(), 1),
            "error": error,
        }

    def print_pages(self, rows):
        self.stdout.write(f"\n{'page':<26} {'who':<8} {'median ms':>10} {'p95 ms':>8} {'queries':>8}  status")
        for row in rows:
            status = ",".join(map(str, row["status"])) + ("" if row["ok"] else f"  NOT OK {row['error']}")
            self.stdout.write(
                f"{row['name']:<26} {row['who']:<8} {_cell(row['median_ms'])} {_cell(row['p95_ms'], 8)} "
                f"{_cell(row['queries'], 8)}  {status}"
            )

    def print_jobs(self, rows):
        self.stdout.write(
            f"\n{'job':<26} {'median s':>9} {'p95 s':>8} {'queries':>8} {'py peak MB':>11} {'max RSS MB':>11}"
        )
        for row in rows:
            self.stdout.write(
                f"{row['name']:<26} {_cell(row['median_s'], 9)} {_cell(row['p95_s'], 8)} {_cell(row['queries'], 8)} "
                f"{_cell(row['py_peak_mb'], 11)} {_cell(row['max_rss_mb'], 11)}"
                + (f"  FAILED {row['error']}" if row["error"] else "")
            )


@contextmanager
def templates_rendered_as_in_production():
    """Started with DEBUG on, Django parses every template on every request; production caches them.

    override_settings(DEBUG=False) does not reach the template engine, built at start-up, so for the
    bench its loaders are wrapped in the cached loader, as Django does itself when DEBUG is off.
    """
    engine = engines["django"].engine
    loaders, debug = engine.loaders, engine.debug
    if not any("cached" in str(loader) for loader in loaders):
        engine.loaders = [("django.template.loaders.cached.Loader", loaders)]
        engine.__dict__.pop("template_loaders", None)  # a cached_property, built from .loaders
    engine.debug = False
    try:
        yield
    finally:
        engine.loaders, engine.debug = loaders, debug
        engine.__dict__.pop("template_loaders", None)


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


def _round(value, digits):
    return None if value is None else round(value, digits)


def _cell(value, width=10):
    return f"{'—' if value is None else value:>{width}}"


def _dumps(results):
    def default(value):
        if isinstance(value, datetime.date | datetime.datetime):
            return value.isoformat()
        raise TypeError(type(value))

    return json.dumps(results, ensure_ascii=False, indent=2, default=default) + "\n"
