"""Time the duplicate check (claims.duplicates.find_duplicates) on the data in the database.

    manage.py bench_duplicates [--runs 200]

Each run checks one name: an existing customer's name in another spelling (有限责任公司 for
有限公司), with its phone, or a new name made of the same parts. Prints median, p95 and the
SQL statements per check.
"""

import random
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.duplicates import find_duplicates
from crm.models import Customer


class Command(BaseCommand):
    help = "Time find_duplicates() on existing and new company names."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, runs, seed, **options):
        rng = random.Random(seed)  # noqa: S311 - sampling, not security
        total = Customer.objects.count()
        sample = list(Customer.objects.order_by("?").values_list("name", "phones")[: max(runs, 1)])
        cases = []
        for index, (name, phones) in enumerate(sample):
            if index % 2:
                cases.append(("existing", name.replace("有限公司", "有限责任公司"), phones))
            else:
                cases.append(("new", name[:2] + "新创" + name[2:], f"0999-{rng.randrange(1000000, 9999999)}"))
        timings = {"existing": [], "new": []}
        statements = set()
        for kind, name, phones in cases:
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                find_duplicates(name=name, phones=phones)
                timings[kind].append((time.perf_counter() - started) * 1000)
            statements.add(len(queries))
        self.stdout.write(f"find_duplicates on {connection.vendor}, {total:,} customers, {runs} checks")
        self.stdout.write(f"{'names':<10} {'checks':>6} {'median ms':>10} {'p95 ms':>8}")
        for kind, values in timings.items():
            if values:
                p95 = statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
                self.stdout.write(f"{kind:<10} {len(values):>6} {statistics.median(values):>10.1f} {p95:>8.1f}")
        self.stdout.write(f"SQL statements per check: {sorted(statements)}")
