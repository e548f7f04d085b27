"""Time a large customer import: generate a file, run its dry run and its import, print the figures.

    manage.py bench_import [--rows 50000] [--bad-percent 2] [--format csv|xlsx] [--force]

The file is what a team moving off spreadsheets uploads: company, credit code on half the rows,
phones, city, industry, purchases, owner (a third left empty: the pool) and two contacts. Every
`100 / bad-percent`-th row carries one mistake, in turn: a wrong credit code check digit, no phone,
an owner nobody is called, the phone of the row before, no company name, a contact's bad email.
Runs the same service functions as the web and the worker, in this process. The customers stay
(their history is append-only), so it refuses a database that holds customers unless --force.
"""

import csv
import io
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from openpyxl import Workbook

from accounts.models import Role, Team, User
from claims.imports.models import ImportJob, ImportState
from claims.imports.services import import_job_check, import_job_confirm, import_job_create, import_job_run
from crm.models import Customer
from crm.normalize import normalize_name
from crm.validators import credit_code_complete

CITIES = ["青岛", "济南", "烟台", "潍坊", "淄博", "临沂", "威海", "日照", "苏州", "无锡", "常州", "宁波", "温州",
          "台州", "佛山", "东莞", "中山", "长沙", "株洲", "重庆"]  # fmt: skip
BRAND_CHARACTERS = "华信达通宏泰恒瑞盛鑫源丰安康永兴隆昌德润锦博晟远航精工金宇天正大海光明东方新城力福祥凯振"
TRADES = [
    ("精密机械", "machinery"), ("汽车零部件", "automotive"), ("模具", "mold"), ("航空部件", "aerospace"),
    ("电子", "electronics"), ("医疗器械", "medical"), ("能源装备", "energy"), ("轨道交通设备", "rail"),
]  # fmt: skip
MISTAKES = ["credit_code", "phone", "owner", "duplicate", "name", "contact_email"]
HEADER = [
    "Company name", "Credit code", "Phones", "Province / region", "City", "Industry", "Annual purchases (CNY)",
    "Owner", "Customer's need", "Contact 1: name", "Contact 1: phones", "Contact 1: buying role",
    "Contact 1: email", "Contact 2: name", "Contact 2: buying role",
]  # fmt: skip


def _team(reps: int):
    team, _created = Team.objects.get_or_create(name="bench-import")
    manager, _created = User.objects.get_or_create(
        username="bench-import-manager", defaults={"role": Role.MANAGER, "team": team, "first_name": "Bench"}
    )
    team.manager = manager
    team.save(update_fields=["manager"])
    names = []
    for number in range(reps):
        rep, _created = User.objects.get_or_create(
            username=f"bench-import-rep{number}", defaults={"role": Role.REP, "team": team}
        )
        names.append(rep.username)
    return manager, names


def generate_rows(count: int, *, bad_percent: float, reps: list[str], seed: int):
    """The header and `count` rows; returns them with the number of rows given a mistake."""
    rng = random.Random(seed)  # noqa: S311 - test data, not security
    every = round(100 / bad_percent) if bad_percent else 0
    taken, rows, bad = set(), [HEADER], 0
    for number in range(count):
        while True:
            city = rng.choice(CITIES)
            brand = "".join(rng.sample(BRAND_CHARACTERS, 3))
            trade, industry = rng.choice(TRADES)
            name = f"{city}{brand}{trade}有限公司"
            if normalize_name(name) not in taken:
                taken.add(normalize_name(name))
                break
        valid_code = credit_code_complete(f"91370200{seed % 100:02d}{number:06d}")
        code = valid_code if number % 2 else ""
        phone = f"1{seed % 100:02d}{number:08d}"
        owner = rng.choice(reps) if number % 3 else ""
        row = [name, code, phone, "山东省", city, industry, str(rng.randrange(50, 3000) * 1000), owner,
               "五轴加工中心", f"王{number}", f"0532-8{number:07d}", "Decision maker", f"buyer{number}@example.cn",
               f"李{number}", "Technical gatekeeper"]  # fmt: skip
        if every and number % every == every - 1:
            mistake = MISTAKES[bad % len(MISTAKES)]
            bad += 1
            if mistake == "credit_code":
                row[1] = valid_code[:-1] + ("0" if valid_code[-1] != "0" else "1")
            elif mistake == "phone":
                row[2] = ""
            elif mistake == "owner":
                row[7] = "nobody-of-that-name"
            elif mistake == "duplicate":
                row[2] = rows[-1][2]
            elif mistake == "name":
                row[0] = ""
            else:
                row[12] = "not an email"
        rows.append(row)
    return rows, bad


def file_content(rows, file_format: str) -> bytes:
    if file_format == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Customers")
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


class Command(BaseCommand):
    help = "Generate a customer file and time its dry run and import (against this database)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=50_000)
        parser.add_argument("--bad-percent", type=float, default=2.0)
        parser.add_argument("--format", dest="file_format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--reps", type=int, default=10)
        parser.add_argument("--force", action="store_true", help="run on a database that holds customers")

    def handle(self, *args, rows, bad_percent, file_format, reps, force, **options):
        existing = Customer.objects.count()
        if existing and not force:
            raise CommandError(
                f"This database holds {existing:,} customers and the imported ones stay: use a database of its "
                "own, or --force."
            )
        manager, rep_names = _team(reps)
        seed = int(time.time()) % 10_000  # each run its own names, codes and phones
        table, bad = generate_rows(rows, bad_percent=bad_percent, reps=rep_names, seed=seed)
        content = file_content(table, file_format)
        job = import_job_create(actor=manager, file_name=f"bench-{rows}.{file_format}", content=content, language="en")

        started = time.perf_counter()
        import_job_check(job.pk)
        checked_seconds = time.perf_counter() - started
        job.refresh_from_db()
        if job.state != ImportState.CHECKED:
            raise CommandError(f"the dry run ended {job.state}: {job.error}")
        valid, invalid = job.valid_rows, job.invalid_rows

        import_job_confirm(job=job, actor=manager)
        started = time.perf_counter()
        import_job_run(job.pk)
        imported_seconds = time.perf_counter() - started
        job = ImportJob.objects.get(pk=job.pk)

        out = self.stdout.write
        out(
            f"bench_import on {connection.vendor}: rows {job.total_rows:,} ({bad:,} with a mistake), "
            f"{file_format.upper()} {len(content) / 1e6:.1f} MB, {existing:,} customers before"
        )
        out(
            f"dry run  {checked_seconds:8.1f} s  {job.total_rows / checked_seconds:7.0f} rows/s  "
            f"valid {valid:,}, with errors {invalid:,}"
        )
        out(
            f"import   {imported_seconds:8.1f} s  {job.total_rows / imported_seconds:7.0f} rows/s  "
            f"imported {job.imported_rows:,}, rejected {job.rejected_rows:,}, with warnings {job.warning_rows:,}"
        )
        if job.imported_rows + job.rejected_rows != job.total_rows:
            raise CommandError("rows unaccounted for")
