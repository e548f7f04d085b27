"""Time the morning follow-up sweep (visits.sweep.followup_sweep) on the data in the database.

    manage.py bench_sweep [--runs 3] [--today 2026-11-23] [--explain] [--commit]

Run 1 is the day's first sweep; the later runs find every reminder already there and insert nothing.
Each run reports its time, SQL statements, reminders inserted and the Python memory it peaked at.
All runs share one transaction, rolled back at the end so the next bench starts from the same data
(--commit keeps the reminders). --explain then shows EXPLAIN ANALYZE of run 1's statements (PostgreSQL).
"""

import datetime
import resource
import time
import tracemalloc

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from visits.sweep import followup_sweep


class Command(BaseCommand):
    help = "Time followup_sweep(): a first run, then repeated runs that insert nothing."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None, help="YYYY-MM-DD")
        parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE run 1's statements.")
        parser.add_argument("--commit", action="store_true", help="Keep the reminders instead of rolling back.")

    def handle(self, *args, runs, today, explain, commit, **options):
        if runs < 1:
            raise CommandError("--runs must be at least 1.")
        if explain and connection.vendor != "postgresql":
            raise CommandError("--explain needs PostgreSQL.")
        today = today or timezone.localdate()
        self.stdout.write(f"followup_sweep({today}) on {connection.vendor} {connection.settings_dict['NAME']}")
        self.stdout.write(f"{'run':>3} {'seconds':>8} {'queries':>8} {'inserted':>10} {'py peak MB':>11}")
        with transaction.atomic():
            before_first = transaction.savepoint()
            first_statements = []
            for run in range(1, runs + 1):
                seconds, queries, inserted, peak = self.measure(today)
                if run == 1:
                    first_statements = [query["sql"] for query in queries]
                self.stdout.write(f"{run:>3} {seconds:>8.2f} {len(queries):>8} {inserted:>10,} {peak / 2**20:>11.1f}")
            max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
            self.stdout.write(f"process peak RSS: {max_rss:.0f} MB")
            if explain:
                transaction.savepoint_rollback(before_first)
                self.explain(first_statements)
            if not commit:
                transaction.set_rollback(True)

    def measure(self, today):
        tracemalloc.start()
        try:
            with CaptureQueriesContext(connection) as context:
                started = time.perf_counter()
                created = followup_sweep(today)
                seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return seconds, context.captured_queries, sum(created.values()), peak

    def explain(self, statements):
        """Run 1 again statement by statement, from the same state, under EXPLAIN ANALYZE."""
        with connection.cursor() as cursor:
            for sql in statements:
                if not sql.lstrip().upper().startswith(("INSERT", "SELECT", "UPDATE", "DELETE")):
                    continue
                self.stdout.write("\n" + sql[:300] + ("…" if len(sql) > 300 else ""))
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                for (line,) in cursor.fetchall():
                    self.stdout.write("    " + line)
