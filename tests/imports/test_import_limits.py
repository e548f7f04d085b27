"""Hostile uploads: files built to stall the web request or the worker are refused, or fail, within bounds.

Each attack file is built here: a sheet that declares the whole grid, a shared-strings bomb, a sheet
padded to its last row, a header of millions of commas, an archive of 100,000 entries. The web request
that receives one answers within 10 s with a message, its memory growing by less than 100 MB; a check
the worker runs on one fails within 60 s with a message; and a normal import right after completes.
"""

import io
import resource
import time
import tracemalloc
import zipfile

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, ClientHandler, encode_multipart
from django.urls import reverse

from claims.imports import parsing, services, tasks
from claims.imports.models import ImportJob, ImportState
from crm.celery import app as celery_app
from crm.models import Customer
from tests.crm.test_celery_worker import database_url
from tests.failures.conftest import celery_on_private_redis, private_redis  # noqa: F401 - fixtures
from tests.failures.servers import kill_worker, start_worker, wait_for
from tests.imports.test_imports import confirm, csv_file, upload, worker_log

pytestmark = pytest.mark.django_db

START = reverse("crm:import_start")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
WEB_SECONDS, WORKER_SECONDS, WEB_MEMORY = 10, 60, 100 * 1024 * 1024


def xlsx(sheet: str, shared_strings=None) -> bytes:
    """The smallest XLSX Excel opens: one sheet, and a shared-strings part if given (text, or chunks to stream)."""
    buffer = io.BytesIO()
    strings = shared_strings is not None
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{RELS.replace("relationships", "content-types")}">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{TYPES}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{TYPES}.worksheet+xml"/>'
            + (
                f'<Override PartName="/xl/sharedStrings.xml" ContentType="{TYPES}.sharedStrings+xml"/>'
                if strings
                else ""
            )
            + "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{OFFICE}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
            + (f'<Relationship Id="rId2" Type="{OFFICE}/sharedStrings" Target="sharedStrings.xml"/>' if strings else "")
            + "</Relationships>",
        )
        archive.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8"?>{sheet}')
        if strings:
            with archive.open("xl/sharedStrings.xml", "w") as part:
                for chunk in [shared_strings] if isinstance(shared_strings, str) else shared_strings:
                    part.write(chunk.encode())
    return buffer.getvalue()


def worksheet(rows: str, dimension: str = "") -> str:
    return f'<worksheet xmlns="{MAIN}">{dimension}<sheetData>{rows}</sheetData></worksheet>'


def text_row(number: int, *texts: str, first_column: str = "A") -> str:
    cells = "".join(
        f'<c r="{chr(ord(first_column) + index)}{number}" t="inlineStr"><is><t>{text}</t></is></c>'
        for index, text in enumerate(texts)
    )
    return f'<row r="{number}">{cells}</row>'


HEADER_ROW = text_row(1, "Company name", "Phones")


def dimension_bomb() -> bytes:
    """About 1.5 KB: declares the whole grid, A1:XFD1048576, and holds one cell, in the very last row."""
    cell = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return xlsx(worksheet(cell, dimension='<dimension ref="A1:XFD1048576"/>'))


def shared_strings_bomb(megabytes: int = 250) -> bytes:
    """A few hundred KB whose shared strings unpack to `megabytes` MB: the titles, then padding nobody uses."""
    header = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    padding = "<si><t>" + "绑" * 1000 + "</t></si>"  # 3 KB of UTF-8
    chunk = padding * 340  # about 1 MB

    def parts():
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"><si><t>Company name</t></si>'
        yield "<si><t>Phones</t></si>"
        for _ in range(megabytes):
            yield chunk
        yield "</sst>"

    return xlsx(worksheet(header), shared_strings=parts())


def padded_sheet() -> bytes:
    """The titles in row 1 and one cell in row 1,048,576, the last a sheet has."""
    return xlsx(worksheet(HEADER_ROW + text_row(1_048_576, "青岛杰航机械有限公司")))


def comma_bomb() -> bytes:
    """Just under the upload limit, all of it one header line of commas."""
    return b"," * (parsing.MAX_UPLOAD_BYTES - 1024) + b"\nCompany name,Phones\n"


def zip_of_many_entries(count: int = 100_000) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for number in range(count):
            archive.writestr(f"x/{number}", b"")
    return buffer.getvalue()


ATTACKS = {
    "dimension bomb": (dimension_bomb, "Row 1,048,576 comes after more than 1,000 empty rows"),
    "shared-strings bomb": (shared_strings_bomb, "The XLSX file unpacks to more than 200 MB"),
    "padded sheet": (padded_sheet, "Row 1,048,576 comes after more than 1,000 empty rows"),
    "comma bomb": (comma_bomb, "The column titles are not within the first 64 KB of the file"),
    "100,000 entries": (zip_of_many_entries, "The XLSX file holds more than 1,000 parts"),
}


def post_measured(client, name: str, content: bytes):
    """POST the upload through the whole stack; the request body is built before measuring, as a client would."""
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile(name, content)})
    cookies = "; ".join(f"{key}={morsel.value}" for key, morsel in client.cookies.items())
    environ = RequestFactory().generic("POST", START, body, content_type=MULTIPART_CONTENT, HTTP_COOKIE=cookies).environ
    del body
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    started = time.monotonic()
    try:
        response = ClientHandler(enforce_csrf_checks=False)(environ)
        seconds = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - peak_rss
    return response, seconds, max(peak, rss_growth)


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_an_attack_file_is_refused_at_upload_quickly_and_in_little_memory(manager_client, attack):
    build, message = ATTACKS[attack]
    content = build()
    response, seconds, memory = post_measured(
        manager_client, f"{attack}.{'csv' if attack == 'comma bomb' else 'xlsx'}", content
    )
    assert response.status_code == 200, response.content[:500]
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()
    assert seconds < WEB_SECONDS, seconds
    assert memory < WEB_MEMORY, memory
    # The refusal is the app's own page, with its headers.
    assert response["Content-Security-Policy"] and response["X-Frame-Options"] == "DENY"


def test_the_attack_files_stay_small_where_the_issue_says_so():
    assert len(dimension_bomb()) < 2048
    assert len(shared_strings_bomb()) < 4 * 1024 * 1024


@pytest.mark.parametrize("attack", ["dimension bomb", "shared-strings bomb", "padded sheet", "100,000 entries"])
def test_a_check_the_worker_runs_on_an_attack_file_fails_with_the_reason_in_bounded_time(manager, attack):
    """As if the web had let it through: the worker reads with the same bounds, and the job fails, file kept."""
    build, message = ATTACKS[attack]
    content = build()
    job = ImportJob.objects.create(
        created_by=manager, file_name="attack.xlsx", file_format="xlsx", content=content, language="en"
    )
    started = time.monotonic()
    tasks.import_check_task(job.pk)
    assert time.monotonic() - started < WORKER_SECONDS
    job.refresh_from_db()
    assert job.state == ImportState.FAILED and message in job.error
    assert bytes(job.content) == content


def test_after_the_attacks_a_normal_import_completes(manager_client):
    for attack, (build, _message) in ATTACKS.items():
        manager_client.post(START, {"file": SimpleUploadedFile(f"{attack}.xlsx", build())})
    job = upload(manager_client, csv_file([["Company name", "Phones"], ["青岛杰航机械有限公司", "0532-81111111"]]))
    assert job.state == ImportState.CHECKED
    assert confirm(manager_client, job).state == ImportState.DONE
    assert Customer.objects.filter(name="青岛杰航机械有限公司").exists()


class TestLimits:
    """Each limit alone, with the setting that moves it."""

    def test_unpacked_size(self, manager_client):
        with override_settings(IMPORT_MAX_COMPRESSION_RATIO=10**9, IMPORT_MAX_UNPACKED_MB=20):
            response = manager_client.post(START, {"file": SimpleUploadedFile("a.xlsx", shared_strings_bomb(30))})
        assert "The XLSX file unpacks to more than 20 MB: split it into several files." in response.content.decode()

    def test_compression_ratio(self, manager_client):
        response = manager_client.post(START, {"file": SimpleUploadedFile("a.xlsx", shared_strings_bomb(30))})
        assert "times tighter than a real spreadsheet" in response.content.decode()

    def test_columns(self, manager_client):
        header = text_row(1, "Company name", "Phones")
        far = '<row r="2"><c r="ZZ2" t="inlineStr"><is><t>x</t></is></c></row>'
        with override_settings(IMPORT_MAX_COLUMNS=100):
            job = upload(manager_client, SimpleUploadedFile("a.xlsx", xlsx(worksheet(header + far))))
            assert job.error == "Row 2 has cells beyond column 100: delete the extra columns and upload again."
            wide = csv_file([["Company name", "Phones", *[f"c{n}" for n in range(200)]]])
            assert "Row 1 has cells beyond column 100" in manager_client.post(START, {"file": wide}).content.decode()

    def test_a_long_cell(self, manager_client):
        with override_settings(IMPORT_MAX_CELL_CHARS=100):
            rows = [["Company name", "Phones"], ["x" * 101, "1"]]
            job = upload(manager_client, csv_file(rows))
            assert job.state == ImportState.FAILED
            assert job.error == "A cell in row 2 holds more than 100 characters: shorten it and upload again."
            sheet = xlsx(worksheet(HEADER_ROW + text_row(2, "x" * 101, "1")))
            job = upload(manager_client, SimpleUploadedFile("a.xlsx", sheet))
            assert job.error == "A cell in row 2 holds more than 100 characters: shorten it and upload again."

    def test_a_few_empty_rows_are_passed_over_and_counted(self, manager_client):
        sheet = xlsx(worksheet(HEADER_ROW + text_row(900, "青岛杰航机械有限公司", "0532-81111111")))
        job = upload(manager_client, SimpleUploadedFile("a.xlsx", sheet))
        assert job.state == ImportState.CHECKED
        assert (job.total_rows, job.blank_rows, job.rows.get().number) == (1, 898, 900)

    def test_titles_below_many_empty_lines_are_not_looked_for_in_the_web_request(self, manager_client):
        content = b"\n" * (64 * 1024) + b"Company name,Phones\n"
        response = manager_client.post(START, {"file": SimpleUploadedFile("a.csv", content)})
        assert "The column titles are not within the first 64 KB of the file" in response.content.decode()

    def test_a_large_xlsx_goes_to_the_worker_with_a_row_estimate(self, manager_client, monkeypatch):
        monkeypatch.setattr(services, "INLINE_MAX_ROWS", 10)
        rows = "".join(text_row(n, f"青岛第{n}号有限公司", f"0532-8{n:07d}") for n in range(2, 103))
        job = upload(manager_client, SimpleUploadedFile("a.xlsx", xlsx(worksheet(HEADER_ROW + rows))))
        assert services.runs_in_background(job)
        assert job.total_rows == 101  # the eager worker checked it
        assert ImportJob.objects.filter(pk=job.pk, estimated_rows__gte=80, estimated_rows__lte=120).exists()


class TestTimeLimits:
    """Import jobs end: a task past its soft time limit is interrupted, and a job that failed never starts again."""

    def test_import_tasks_have_a_soft_time_limit_and_a_queue_of_their_own(self):
        for task in (tasks.import_check_task, tasks.import_run_task):
            assert task.soft_time_limit == settings.IMPORT_SOFT_TIME_LIMIT < task.time_limit
            assert celery_app.amqp.router.route({}, task.name)["queue"].name == "imports"
        assert celery_app.amqp.router.route({}, "visits.tasks.followup_sweep_task")["queue"].name == "celery"
        # A worker started without -Q consumes both: the development setup needs no second worker. Each queue
        # has its own routing key: with a shared one, the broker would deliver every job to both queues.
        keys = {queue.name: queue.routing_key for queue in celery_app.conf.task_queues}
        assert keys == {"celery": "celery", "imports": "imports"}
        assert celery_app.amqp.router.route({}, tasks.import_run_task.name)["queue"].routing_key == "imports"

    def test_a_check_past_its_soft_time_limit_fails_keeps_the_file_and_never_starts_again(
        self, manager_client, manager, monkeypatch
    ):
        content = "Company name,Phones\n青岛甲有限公司,0532-81111111\n".encode()
        job = ImportJob.objects.create(
            created_by=manager, file_name="slow.csv", file_format="csv", content=content, language="en"
        )

        def interrupted(*args):
            raise SoftTimeLimitExceeded

        monkeypatch.setattr(services, "_check_rows", interrupted)
        assert tasks.import_check_task(job.pk) is True  # handled: the message is acknowledged, not retried
        job.refresh_from_db()
        assert job.state == ImportState.FAILED
        assert job.error.startswith("The check of this file took longer than 300 seconds and was stopped.")
        page = manager_client.get(reverse("crm:import_job", args=[job.pk])).content.decode()
        assert job.error in page and 'data-testid="uploaded-file"' in page
        download = manager_client.get(reverse("crm:import_file", args=[job.pk]))
        assert download.content == content and download["Content-Disposition"].startswith("attachment")

        # The broker hands the message back (its worker was stopped): the job stays failed, nothing is read.
        monkeypatch.undo()
        tasks.import_check_task(job.pk)
        job.refresh_from_db()
        assert job.state == ImportState.FAILED and not job.rows.exists()

    def test_a_check_whose_worker_keeps_dying_fails_instead_of_starting_again(self, manager):
        content = "Company name,Phones\n青岛甲有限公司,0532-81111111\n".encode()
        job = ImportJob.objects.create(
            created_by=manager, file_name="a.csv", file_format="csv", content=content, language="en",
            state=ImportState.CHECKING, attempts=settings.IMPORT_MAX_ATTEMPTS,
        )  # fmt: skip
        tasks.import_check_task(job.pk)
        job.refresh_from_db()
        assert job.state == ImportState.FAILED and "stopped 3 times" in job.error

        # Attempts count only runs that got nowhere: one that stores rows starts the count again.
        other = ImportJob.objects.create(
            created_by=manager, file_name="b.csv", file_format="csv", content=content, language="en",
            state=ImportState.CHECKING, attempts=settings.IMPORT_MAX_ATTEMPTS - 1,
        )  # fmt: skip
        tasks.import_check_task(other.pk)
        other.refresh_from_db()
        assert (other.state, other.valid_rows, other.attempts) == (ImportState.CHECKED, 1, 0)

    def test_an_import_stuck_on_a_row_rejects_that_row_and_carries_on(self, manager_client, monkeypatch):
        monkeypatch.setattr(services, "INLINE_MAX_ROWS", 1)
        rows = [["Company name", "Phones"]] + [[f"青岛第{n}号有限公司", f"0532-8{n:07d}"] for n in range(3)]
        job = upload(manager_client, csv_file(rows))
        register = services._register_row

        def stuck_on_the_first(job, row, *args):
            if row.number == 2:
                raise SoftTimeLimitExceeded
            return register(job, row, *args)

        monkeypatch.setattr(services, "_register_row", stuck_on_the_first)
        job = confirm(manager_client, job)
        assert (job.state, job.imported_rows, job.rejected_rows) == (ImportState.DONE, 2, 1)
        assert job.rows.get(number=2).errors == [["", "Importing this row took longer than 300 seconds."]]

    @pytest.mark.postgres
    @pytest.mark.redis
    @pytest.mark.django_db(transaction=True)
    def test_a_real_worker_interrupts_a_long_check_then_imports_the_next_file(
        self,
        celery_on_private_redis,  # noqa: F811 - the fixture imported above
        tmp_path,
        manager_client,
        monkeypatch,
    ):
        monkeypatch.setattr(services, "INLINE_MAX_ROWS", 2)
        # The limits travel with the message, from the task as the sender defines it.
        monkeypatch.setattr(tasks.import_check_task, "soft_time_limit", 2)
        monkeypatch.setattr(tasks.import_check_task, "_exec_options", None)  # Celery caches them per task
        worker = start_worker(
            tmp_path, database_url=database_url(), broker_url=celery_on_private_redis.url,
            settings={"IMPORT_SOFT_TIME_LIMIT": "2"},
        )  # fmt: skip
        try:
            slow = [["Company name", "Phones"]] + [[f"青岛第{n}号有限公司", f"0532-8{n:07d}"] for n in range(3000)]
            job = upload(manager_client, csv_file(slow))
            failed = wait_for(lambda: ImportJob.objects.get(pk=job.pk).state == ImportState.FAILED, timeout=60)
            assert failed, worker_log(tmp_path)
            job.refresh_from_db()
            assert "took longer than 2 seconds" in job.error and bytes(job.content)

            normal = [["Company name", "Phones"]] + [[f"烟台第{n}号有限公司", f"0535-8{n:07d}"] for n in range(4)]
            job = upload(manager_client, csv_file(normal))
            assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).state == ImportState.CHECKED), worker_log(tmp_path)
            confirm(manager_client, job)
            assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).state == ImportState.DONE), worker_log(tmp_path)
        finally:
            kill_worker(worker)
