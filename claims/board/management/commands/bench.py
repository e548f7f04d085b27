"""Time the hot pages and the beat jobs on the data in the database (filled by `manage.py seed_scale`).

    manage.py bench [--runs 20] [--job-runs 3] [--only board,customer_list,...] [--json bench/results.json]
    manage.py bench --explain --only customer_list_deep,complaint_list     # where a page's time goes in SQL
    manage.py bench --profile --only customer_card --runs 50               # and in Python

Pages go through the whole Django stack with the test client (every middleware runs), DEBUG off and
templates cached as in production,
logged in as a generated manager and one of their reps who holds customers. The API cases (`api_…`) are
requested as a script requests them, with a personal token (`Authorization: Bearer …`, made for the same two
users by accounts' api_token_create, with the API's rate limit lifted) and JSON bodies, no session; they sit in
the same table as the pages they stand beside (api_customer_list by customer_list, api_register by
register_post, api_visit_create by visit_post). Each page is requested
--runs + 1 times; the first is a warm-up and not counted. The POSTs and the jobs run inside a
transaction that is rolled back after every run, so the data does not drift from run to run; the
whole bench (logins included) runs in one transaction that is rolled back at the end.

For a page: median and p95 in milliseconds, SQL statements of the last run, how much the process's peak RSS
grew while the page was requested (what one request adds, the test client's copy of the body included; alone
with `--only` it is not hidden by an earlier page's peak) and the status codes (anything but 200/302 is
flagged). For a job: median and p95 in seconds over --job-runs, SQL statements, the Python memory it peaked
at (tracemalloc, taken on the warm-up run because tracing slows the code) and the process's peak RSS so far.
A table is printed and JSON written for comparing runs.

With --explain (PostgreSQL only) nothing is timed: each selected page is requested once (after a warm-up) and
every SQL statement of that request is printed with its time in the request and its
`EXPLAIN (ANALYZE, BUFFERS)` plan, run in the same transaction, slowest statement first per page, so one sees
where a page's time goes. A POST's statements are explained inside its own rolled-back transaction.

With --profile nothing is timed either: each selected page's --runs requests (after a warm-up) run under
cProfile, and the functions that took the most time of their own are printed, then the slowest by the time
spent in them and what they call (the project's own code, then anything), so that one sees which Python a page
pays for.
"""

import cProfile
import datetime
import functools
import io
import itertools
import json
import os
import platform
import pstats
import re
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
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.template import engines
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from accounts.services import api_token_create
from claims.board.digest import digest_context
from claims.board.services import board_scope
from claims.models import HoldingLimit
from claims.sweep import lapse_sweep, lapse_warnings
from crm.complaints.models import Complaint
from crm.complaints.services import complaint_deadline_alerts
from crm.complaints.views import PAGE_SIZE as COMPLAINT_PAGE_SIZE
from crm.deals.models import Opportunity
from crm.deals.models import Status as DealStatus
from crm.models import Contact, Customer
from crm.paging import encode_cursor
from crm.pdf import render_pdf_bytes
from crm.views import PAGE_SIZE as CUSTOMER_PAGE_SIZE
from visits.models import Visit
from visits.sweep import followup_sweep

PREFIX = "scale-"  # as seed_scale names its users
OK = {200, 201, 302}  # 201: the API's answer to a registration or a visit it created
# Deep pages that every size holds, so that each size shows the same rows from as far in: the generated manager
# sees 1,482 customers and 290 complaints at 10,000 customers, where page 100 (2,475 in) or complaint page 20
# (950 in) were past the end and timed an empty page or the fallback to the last one.
DEEP_PAGE = 50  # of 25: 1,225 customers in
DEEP_COMPLAINT_PAGE = 5  # of 50: 200 complaints in


@dataclass
class Page:
    name: str
    who: str  # "manager", "rep" or "admin" (the generated administrator: every customer, and the Django admin)
    method: str  # "GET" or "POST"; a POST is rolled back after each run
    url: Callable  # fixture -> path with query string
    data: Callable | None = None  # fixture -> POST data
    htmx: bool = False  # requested as htmx requests it (a partial)
    api: bool = False  # requested with the user's API token and a JSON body, without a session


def customers_url(**query):
    return lambda f: reverse("crm:customer_list") + (f"?{urlencode(query)}" if query else "")


def search_box(query):
    """The search box's as-you-type request for the fixture's `query` (an attribute name)."""
    return lambda f: reverse("search") + "?" + urlencode({"q": getattr(f, query)})


def visit_data(f):
    return {
        "method": "phone",
        "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "discussion": "基准测试：电话沟通五轴加工中心的报价。",
    }


@functools.cache
def phone_photo() -> bytes:
    """A 12 MP camera JPEG of about 4 MB: noise, softened, as a sensor gives (a flat colour would be tiny)."""
    from PIL import Image, ImageFilter

    picture = Image.effect_noise((4000, 3000), 40).convert("RGB").filter(ImageFilter.GaussianBlur(0.6))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def visit_with_photos_data(f):
    """A visit logged with three phone photos (crm/evidence re-encodes them in the request)."""
    photos = [SimpleUploadedFile(f"IMG_{n}.jpg", phone_photo(), "image/jpeg") for n in range(3)]
    return {**visit_data(f), "method": "onsite", "attachments": photos}


def registration_data(f):
    n = next(f.counter)
    return {
        "name": f"基准测试{f.tag}{n:04d}号精工有限公司",
        "phones": f"139{f.tag_digits}{n:04d}",
        "need": "需要两台立式加工中心",
        "status": "prospect",
        "relationship_level": "ordinary",
    }


def api_visit_data(f):
    """A visit as the phone app sends it: JSON, with a fresh client id (a retry would answer the first visit)."""
    return {**visit_data(f), "started_at": timezone.localtime().isoformat(), "client_id": str(uuid.uuid4())}


def api_registration_data(f):
    return {key: value for key, value in registration_data(f).items() if key != "relationship_level"}


def deal_url(f):
    return reverse("deals:detail", args=[f.deal_pk])


PAGES = [
    Page("board", "manager", "GET", lambda f: reverse("board:board")),
    Page("board_forecast", "manager", "GET", lambda f: reverse("board:forecast")),
    Page("board_targets", "manager", "GET", lambda f: reverse("board:targets")),
    Page("customer_list", "manager", "GET", customers_url()),
    Page("customer_list_rep", "rep", "GET", customers_url()),
    Page("customer_list_filtered", "manager", "GET", customers_url(grade="A", overdue="true")),
    Page("customer_search_name", "manager", "GET", lambda f: customers_url(q=f.name_piece)(f)),
    Page("customer_search_initials", "manager", "GET", lambda f: customers_url(q=f.initials)(f)),
    # Page 100 as the pager reaches it (its next link: a keyset cursor), and as an old bookmark (OFFSET).
    Page("customer_list_deep", "manager", "GET", lambda f: customers_url(after=f.deep_customer_cursor)(f)),
    Page("customer_list_page_50", "manager", "GET", customers_url(page=DEEP_PAGE)),
    Page("customer_card", "rep", "GET", lambda f: reverse("crm:customer_detail", args=[f.customer.pk])),
    Page("pool", "rep", "GET", lambda f: reverse("claims:pool")),
    Page("dispute_queue", "manager", "GET", lambda f: reverse("claims:dispute_list")),
    Page("customer_list_admin", "admin", "GET", customers_url()),
    Page("admin_customers", "admin", "GET", lambda f: reverse("admin:crm_customer_changelist")),
    Page("admin_complaints", "admin", "GET", lambda f: reverse("admin:complaints_complaint_changelist")),
    Page("complaint_list", "manager", "GET", lambda f: reverse("complaints:list")),
    Page(
        "complaint_list_deep",
        "manager",
        "GET",
        lambda f: reverse("complaints:list") + "?" + urlencode({"after": f.deep_complaint_cursor}),
    ),
    Page(
        "duplicate_check",
        "rep",
        "GET",
        lambda f: reverse("claims:duplicate_check") + "?" + urlencode({"q": f.other_name}),
    ),
    Page("search_chinese", "manager", "GET", search_box("name_piece"), htmx=True),
    Page("search_chinese_rep", "rep", "GET", search_box("name_piece"), htmx=True),
    Page("search_phone_digits", "manager", "GET", search_box("phone_digits"), htmx=True),
    Page("search_phone_digits_rep", "rep", "GET", search_box("phone_digits"), htmx=True),
    Page("search_initials", "manager", "GET", search_box("initials"), htmx=True),
    Page("search_contact_name", "manager", "GET", search_box("contact_name"), htmx=True),
    # The box's worst cases: a word nearly every name holds, and the first two letters of a name's initials.
    Page("search_broad", "manager", "GET", search_box("broad"), htmx=True),
    Page("search_broad_rep", "rep", "GET", search_box("broad"), htmx=True),
    Page("search_two_letters", "manager", "GET", search_box("two_letters"), htmx=True),
    Page("search_recent", "rep", "GET", search_box("nothing"), htmx=True),
    Page("day", "rep", "GET", lambda f: reverse("visits:day")),
    Page("visit_post", "rep", "POST", lambda f: reverse("visits:visit_create", args=[f.customer.pk]), visit_data),
    Page("register_post", "rep", "POST", lambda f: reverse("claims:register"), registration_data),
    Page(
        "visit_post_3_photos",
        "rep",
        "POST",
        lambda f: reverse("visits:visit_create", args=[f.customer.pk]),
        visit_with_photos_data,
    ),
    Page("deals_pipeline_manager", "manager", "GET", lambda f: reverse("deals:pipeline")),
    Page("deals_pipeline_rep", "rep", "GET", lambda f: reverse("deals:pipeline")),
    Page("deal_page", "rep", "GET", deal_url),
    Page("api_customer_list", "manager", "GET", lambda f: reverse("api:customer_list"), api=True),
    Page("api_customer_list_rep", "rep", "GET", lambda f: reverse("api:customer_list"), api=True),
    Page("api_register", "rep", "POST", lambda f: reverse("api:register"), api_registration_data, api=True),
    Page(
        "api_visit_create",
        "rep",
        "POST",
        lambda f: reverse("api:customer_visits", args=[f.customer.pk]),
        api_visit_data,
        api=True,
    ),
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


def deep_cursor(rows, position):
    """The cursor of the row at `position` of (sort key, pk) rows, or of the last when there are fewer."""
    row = rows[position - 1 : position].first() or rows.reverse().first()
    return encode_cursor(*row) if row else ""


def short_of(rows, position, size):
    """A warning when the page of `size` rows after `position` is not full: its time is not a deep page's."""
    if rows[position + size - 1 : position + size].exists():
        return ""
    return f"the manager's list holds {rows.count():,} rows, short of a full page {position:,} in"


def page_request(page, client, f):
    """A function that requests `page` once as `client`, with fresh data for a POST."""
    url = page.url(f)
    send = client.post if page.method == "POST" else client.get
    if page.api and page.method == "POST":
        send = functools.partial(send, content_type="application/json")
    if page.htmx:
        send = functools.partial(send, headers={"HX-Request": "true"})

    def request():
        return send(url, page.data(f)) if page.data else send(url)

    return request


def timed(action, *, rollback, trace=False):
    """Run action once: (seconds, SQL statements, result, Python peak bytes or None)."""
    if trace:
        tracemalloc.start()
    # CaptureQueriesContext counts the growth of the connection's query log, a deque of at most 9,000 entries
    # that nothing empties while it captures (it holds back the request's reset): once full, every later
    # count would read 0. Emptied before each run, the log holds one run's statements.
    connection.queries_log.clear()
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


SPEED_LOOP = 2_000_000


def python_speed():
    """Seconds a plain Python loop of SPEED_LOOP additions takes, the median of three: how fast this machine runs
    Python right now. A shared machine's speed changes from hour to hour (1.6 times within one session here), so
    a figure is compared with one measured at about the same speed. It sees arithmetic only: it says when the
    machine was slow, not that it was not (pages slowed 1.8 times while it read 0.055-0.098 s)."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(SPEED_LOOP):
            total += number
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings), 3)


class Command(BaseCommand):
    help = "Time the hot pages (through the test client, DEBUG off) and the beat jobs on the seeded data."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=20, help="Measured requests per page (after a warm-up).")
        parser.add_argument("--job-runs", type=int, default=3, help="Measured runs per job (after a warm-up).")
        parser.add_argument("--only", default="", help="Comma-separated page and job names.")
        parser.add_argument(
            "--json", dest="json_path", default="bench/results.json", help="Where to write the results."
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help="Print EXPLAIN (ANALYZE, BUFFERS) of every statement of one request per page; times nothing.",
        )
        parser.add_argument(
            "--profile",
            action="store_true",
            help="Print where each page's Python time goes over --runs requests (cProfile); times nothing.",
        )

    def handle(self, *args, runs, job_runs, only, json_path, explain=False, profile=False, **options):
        if runs < 1 or job_runs < 1:
            raise CommandError("--runs and --job-runs must be at least 1.")
        if explain and connection.vendor != "postgresql":
            raise CommandError(
                f"--explain needs PostgreSQL (EXPLAIN ANALYZE with BUFFERS); this database is {connection.vendor}."
            )
        pages, jobs = self.select(only)
        f = self.fixture()
        if not f.admin:  # a database seeded before seed_scale made its administrator
            pages = [page for page in pages if page.who != "admin"]
        machine = self.machine()
        self.stdout.write(
            f"{machine['database']} {machine['database_version']}: {machine['customers']:,} customers, "
            f"{machine['visits']:,} visits, {machine['deals']:,} deals; {machine['cpu_count']} CPUs "
            f"(a Python loop of {SPEED_LOOP:,} additions: {machine['speed_before']} s); "
            f"manager {f.manager.username}, rep {f.rep.username}"
        )
        for warning in f.short_lists:
            self.stdout.write(self.style.WARNING(f"Deep pages: {warning}; their times are not a deep page's."))
        warnings.filterwarnings("ignore", "No directory at", UserWarning)  # whitenoise, without collectstatic
        hosts = ["testserver", *settings.ALLOWED_HOSTS]
        quiet_mail = "django.core.mail.backends.locmem.EmailBackend"
        # The outer transaction is rolled back too: the logins' sessions and last_login are not kept either.
        # The API's rate limit still counts every request, but never refuses one (20 runs a minute would).
        production = override_settings(
            DEBUG=False, ALLOWED_HOSTS=hosts, EMAIL_BACKEND=quiet_mail, API_RATE="1000000/minute"
        )
        with production, templates_rendered_as_in_production(), transaction.atomic():
            clients = {"manager": Client(), "rep": Client()}
            clients["manager"].force_login(f.manager)
            clients["rep"].force_login(f.rep)
            if f.admin:
                clients["admin"] = Client()
                clients["admin"].force_login(f.admin)
            for who, user in (("manager", f.manager), ("rep", f.rep)):
                _token, key = api_token_create(actor=user, name="bench")
                clients[f"{who} api"] = Client(headers={"Authorization": f"Bearer {key}"})
            # Generated reps hold more than the default limit, which also counts registrations: give the
            # bench rep room (rolled back with the rest), so register_post times a registration, not a refusal.
            HoldingLimit.objects.update_or_create(user=f.rep, defaults={"holding_limit": 10**9})

            def client_of(page):
                return clients[f"{page.who} api" if page.api else page.who]

            # --explain and --profile look into each page and time nothing.
            look = functools.partial(self.profile_page, runs=runs) if profile else None
            look = self.explain_page if explain else look
            if look:
                for page in pages:
                    look(page, client_of(page), f)
                transaction.set_rollback(True)
                return
            page_rows = [self.measure_page(page, client_of(page), f, runs) for page in pages]
            self.print_pages(page_rows)
            job_rows = [self.measure_job(name, action, f, job_runs) for name, action in jobs]
            self.print_jobs(job_rows)
            transaction.set_rollback(True)
        if job_rows:
            self.vacuum()
        results = {
            "when": timezone.now().isoformat(timespec="seconds"),
            "machine": machine,
            "runs": runs,
            "job_runs": job_runs,
            "pages": page_rows,
            "jobs": job_rows,
            "short_lists": f.short_lists,
            "load_after": [round(load, 2) for load in os.getloadavg()],
            "speed_after": python_speed(),
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
        # One of the rep's customers, visited before and with an open deal when there is one: a first visit and a
        # visit form that offers a deal each take a statement more, so the counts compare across data sizes (the
        # deal page is of the same customer).
        held = Customer.objects.filter(owner=rep).order_by("pk")
        customer = (
            held.filter(
                Exists(Visit.objects.filter(customer=OuterRef("pk"))),
                Exists(Opportunity.objects.open().filter(customer=OuterRef("pk"))),
            ).first()
            or held.first()
        )
        # A customer of another rep in the team, for the name search and the duplicate check.
        other = (
            Customer.objects.visible_to(manager).exclude(owner=rep).exclude(name_initials="").order_by("pk").first()
            or customer
        )
        piece = other.name[2:4] if len(other.name) > 4 else other.name
        # A contact of that customer, for the search box: their name, and the last four digits of their phone
        # (what a missed call shows).
        contact = Contact.objects.filter(customer=other).exclude(phone_numbers=None).order_by("pk").first()
        contact_phone = contact.phone_numbers.order_by("pk").first().number if contact else "0000"
        # That customer's open deal for the deal page (0, a 404 flagged in the table, when it has none).
        deals = Opportunity.objects.filter(customer=customer).order_by("pk").values_list("pk", flat=True)
        deal = deals.filter(status=DealStatus.OPEN).first() or deals.first()
        # Where the list's next link points after DEEP_PAGE - 1 pages (the last row before that page), or after
        # the last row of a shorter list. 0 rows: an empty cursor, the first page.
        customers_in = (DEEP_PAGE - 1) * CUSTOMER_PAGE_SIZE
        complaints_in = (DEEP_COMPLAINT_PAGE - 1) * COMPLAINT_PAGE_SIZE
        deep_customers = Customer.objects.visible_to(manager).order_by("name", "pk").values_list("name", "pk")
        deep_complaints = (
            Complaint.objects.visible_to(manager).order_by("-received_at", "-pk").values_list("received_at", "pk")
        )
        tag = uuid.uuid4().int % 10**6  # registered names and phones differ from any earlier run's
        return SimpleNamespace(
            admin=User.objects.filter(username=f"{PREFIX}admin", role="admin", is_active=True).first(),
            rep=rep,
            manager=manager,
            customer=customer,
            deal_pk=deal or 0,
            other_name=other.name,
            name_piece=piece,
            initials=other.name_initials[:3],
            two_letters=other.name_initials[:2],
            broad="有限公司",
            contact_name=contact.name if contact else piece,
            phone_digits=contact_phone[-4:],
            nothing="",
            today=timezone.localdate(),
            counter=itertools.count(1),
            tag=f"{tag:06d}",
            tag_digits=f"{tag % 10**4:04d}",
            deep_customer_cursor=deep_cursor(deep_customers, customers_in),
            deep_complaint_cursor=deep_cursor(deep_complaints, complaints_in),
            short_lists=[
                f"{name}: {warning}"
                for name, warning in (
                    ("customers", short_of(deep_customers, customers_in, CUSTOMER_PAGE_SIZE)),
                    ("complaints", short_of(deep_complaints, complaints_in, COMPLAINT_PAGE_SIZE)),
                )
                if warning
            ],
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
            "deals": Opportunity.objects.count(),
            # The 1, 5 and 15 minutes' load averages as the bench starts (and ends, in the results): the figures
            # of a busy machine are upper bounds.
            "load_before": [round(load, 2) for load in os.getloadavg()],
            "speed_before": python_speed(),
        }

    def measure_page(self, page, client, f, runs):
        url = page.url(f)
        request = page_request(page, client, f)
        seconds, statuses, queries, error = [], set(), None, ""
        if page.data:
            page.data(f)  # built once before the memory is read: a generated photo is the client's, not the server's
        rss_before = max_rss_mb()
        for run in range(runs + 1):
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
            "rss_growth_mb": round(max_rss_mb() - rss_before, 1),
        }

    def profile_page(self, page, client, f, runs):
        """--runs requests of `page` under cProfile: the most expensive functions, by their own time and with what
        they call."""
        request = page_request(page, client, f)
        timed(request, rollback=page.method == "POST")  # warm-up, as in a measured run
        profiler = cProfile.Profile()
        for _ in range(runs):
            profiler.enable()
            timed(request, rollback=page.method == "POST")
            profiler.disable()
        report = io.StringIO()
        stats = pstats.Stats(profiler, stream=report)
        own_code = re.escape(f"{settings.BASE_DIR}/") + r"(?!\.venv/)"  # the project's files, not its libraries
        report.write(f"\n--- by their own time, {runs} requests")
        stats.sort_stats("tottime").print_stats(25)
        report.write("\n--- the project's own functions, by the time in them and what they call")
        stats.sort_stats("cumulative").print_stats(own_code, 30)
        report.write("\n--- any function, by the time in it and what it calls")
        stats.print_stats(30)
        self.stdout.write(
            f"\n=== {page.name} ({page.who}) {page.method} {page.url(f)}: "
            f"{stats.total_tt * 1000 / runs:.1f} ms a request under the profiler"
        )
        self.stdout.write(report.getvalue())

    def explain_page(self, page, client, f):
        """One request's statements, slowest first, each with its time and its plan (EXPLAIN ANALYZE runs it again)."""
        url = page.url(f)
        request = page_request(page, client, f)
        timed(request, rollback=page.method == "POST")  # warm-up: caches and connections as in a measured run
        connection.queries_log.clear()
        with transaction.atomic():
            # CaptureQueriesContext records each statement's time (force_debug_cursor), with DEBUG off as well.
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = request()
                took = time.perf_counter() - started
            statements = list(captured.captured_queries)
            plans = [explain_analyze(query["sql"]) for query in statements]
            transaction.set_rollback(True)
        total = sum(float(query["time"]) for query in statements)
        self.stdout.write(
            f"\n=== {page.name} ({page.who}) {page.method} {url}: {response.status_code}, {took * 1000:.1f} ms, "
            f"{len(statements)} statements taking {total * 1000:.1f} ms"
        )
        ranked = sorted(zip(range(1, len(statements) + 1), statements, plans, strict=True),
                        key=lambda entry: -float(entry[1]["time"]))  # fmt: skip
        for number, query, plan in ranked:
            self.stdout.write(
                f"\n--- statement {number}, {float(query['time']) * 1000:.1f} ms in the request\n{query['sql']}"
            )
            self.stdout.write(plan)

    def vacuum(self):
        """Clear what the rolled-back jobs left: a lapse sweep's 111,000 customers at 1,000,000 leave that many
        dead row versions in every customer index, which the next run's searches and pool would wade through
        (a rep's two-character search went from 32 to 46 ms over three runs)."""
        if connection.vendor != "postgresql" or connection.in_atomic_block:  # a test's transaction: nothing to clear
            return
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
        self.stdout.write(f"VACUUM after the jobs: {time.perf_counter() - started:.1f} s")

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
        self.stdout.write(
            f"\n{'page':<26} {'who':<8} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'+RSS MB':>8}  status"
        )
        for row in rows:
            status = ",".join(map(str, row["status"])) + ("" if row["ok"] else f"  NOT OK {row['error']}")
            self.stdout.write(
                f"{row['name']:<26} {row['who']:<8} {_cell(row['median_ms'])} {_cell(row['p95_ms'], 8)} "
                f"{_cell(row['queries'], 8)} {_cell(row['rss_growth_mb'], 8)}  {status}"
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


def explain_analyze(sql):
    """The plan of one captured statement as PostgreSQL ran it again, in a savepoint undone afterwards (a write's
    effects, a failed statement's error, stay out of the request's transaction). A statement EXPLAIN cannot take
    (SAVEPOINT, SET, …) says so."""
    # A list's choices are read through a server-side cursor: its query is what the cursor is declared FOR.
    declared = re.match(r"\s*DECLARE\s+\S+\s+.*?\bCURSOR\b.*?\bFOR\s+(SELECT\b.*)", sql, re.S | re.I)
    sql = declared.group(1) if declared else sql
    first_word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    if first_word == "EXPLAIN":
        return "    (an EXPLAIN itself: planned, no row read)"
    if first_word not in {"SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "VALUES"}:
        return "    (not a statement EXPLAIN takes)"
    savepoint = transaction.savepoint()
    try:
        with connection.cursor() as cursor:
            # The captured text has its parameters quoted in (psycopg's mogrify): it runs as the request ran it.
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")  # noqa: S608 - SQL the app itself ran
            lines = [row[0] for row in cursor.fetchall()]
    except Exception as error:  # a plan we cannot get is reported, the others are still printed
        transaction.savepoint_rollback(savepoint)
        return f"    (no plan: {type(error).__name__}: {error})"
    transaction.savepoint_rollback(savepoint)
    return "\n".join(f"    {line}" for line in lines)


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
