"""The steps of an import: upload, dry run, confirmation, import, error report.

Every row ends imported or rejected, never half: a row's customer, contacts, claim (or pool entry)
and history are written in one transaction with the row's own state, so a run that stops half-way
resumes where it stopped and a second run finds nothing left to do.
"""

import csv
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction, User
from claims.services import RegistrationOutcome, customer_register_imported
from crm import formatting, reasons
from crm.exports import spreadsheet_safe
from crm.models import Contact, NotificationKind
from crm.services import customer_override_grade, lock, notify

from .checks import RowCheck, RowChecker, RowRefused, duplicate_message, similar_message
from .deals import DealRowChecker, import_deal_row, read_deal_layout
from .models import FINAL_ROW_STATES, ImportJob, ImportKind, ImportRow, ImportState, RowState
from .parsing import MAX_ROWS, MAX_UPLOAD_BYTES, FileUnreadable, file_format, inspect_upload, read_layout, read_rows
from .permissions import can_act_on_import, can_discard_import, can_import

# Up to this many rows the web request checks and imports the file itself; above, the worker does.
INLINE_MAX_ROWS = 200
CHUNK_ROWS = 500  # rows written (dry run) or counted (import) at a time


@dataclass(frozen=True)
class Kind:
    """What one kind of file needs of its own: its columns, its row check and how a good row is written
    (a dict of the row's links to what it made, and the warnings)."""

    layout: Callable
    checker: Callable
    write_row: Callable


KINDS = {
    ImportKind.CUSTOMERS: Kind(read_layout, RowChecker, lambda *args: _register_row(*args)),
    ImportKind.DEALS: Kind(read_deal_layout, DealRowChecker, import_deal_row),
}


@transaction.atomic
def import_job_create(
    *, actor: User, file_name: str, content: bytes, language: str, kind: str = ImportKind.CUSTOMERS
) -> ImportJob:
    """Store the upload once its header makes sense; the rows are read by the dry run.

    Only the titles and a row count are read here, within a fixed budget (the web request's part):
    the rest of a file, however it is made, is read by the dry run, on the worker unless it is small.
    """
    if not can_import(actor):
        raise PermissionDenied
    if len(content) > MAX_UPLOAD_BYTES:
        raise FileUnreadable(
            _("The file is larger than %(size)s MB: split it into several files.") % {"size": MAX_UPLOAD_BYTES >> 20}
        )
    file_kind = file_format(file_name, content)
    with translation.override(language):
        upload = inspect_upload(content, file_kind, inline_rows=INLINE_MAX_ROWS)
        KINDS[kind].layout(upload.headers)
    return ImportJob.objects.create(
        created_by=actor,
        kind=kind,
        file_name=file_name[:255],
        file_format=file_kind,
        content=content,
        language=language,
        # A file too large for the web to read whole is counted as large, so that the worker reads it.
        estimated_rows=upload.rows if upload.small else max(upload.rows, INLINE_MAX_ROWS + 1),
    )


def runs_in_background(job: ImportJob) -> bool:
    return job.expected_rows > INLINE_MAX_ROWS


# --- the dry run ----------------------------------------------------------------------------------


def _locked_jobs():
    """Jobs locked for update, without the upload (up to 50 MB) that every progress write would read again."""
    return ImportJob.objects.select_for_update().defer("content")


def _take_over(job_pk: int, *states) -> uuid.UUID | None:
    """Make this run the one in charge of the job (None if the job is not in one of `states`).

    A run that starts where the last runs made no progress (their worker died, and the broker gave the task
    back) counts an attempt; past IMPORT_MAX_ATTEMPTS the job fails rather than kill worker after worker.
    """
    with transaction.atomic():
        job = _locked_jobs().filter(pk=job_pk, state__in=states).first()
        if job is None:
            return None
        job.move_to(ImportState.CHECKING)
        job.attempts += 1
        if job.attempts > settings.IMPORT_MAX_ATTEMPTS:
            job.move_to(ImportState.FAILED)
            job.run_token = None
            with translation.override(job.language):
                job.error = _(
                    "The check of this file stopped %(count)s times without getting anywhere. Save the file again "
                    "without empty rows and formatting, or split it, and upload it again."
                ) % {"count": settings.IMPORT_MAX_ATTEMPTS}
            job.save(update_fields=["state", "attempts", "run_token", "error", "updated_at"])
            return None
        job.run_token = uuid.uuid4()
        job.save(update_fields=["state", "attempts", "run_token", "updated_at"])
        return job.run_token


def _still_in_charge(job_pk, token, rows=(), **changes) -> bool:
    """Write `rows` and progress if this run is still the one in charge (a newer run or a discard stops it)."""
    with transaction.atomic():
        job = _locked_jobs().filter(pk=job_pk, run_token=token).first()
        if job is None:
            return False
        ImportRow.objects.bulk_create(rows)
        if rows:
            changes["attempts"] = 0  # progress: the run that gets this far is not one that kills its worker
        for name, value in changes.items():
            setattr(job, name, value)
        job.save(update_fields=[*changes, "updated_at"])
        return True


def import_job_check(job_pk: int, *, seconds: float | None = None) -> bool:
    """The dry run: read every row, check it as the import will, store it with its errors. Writes no customer.

    Works for about `seconds` (None: to the end) and says whether it finished; the next call carries on
    after the last row stored, so a long file is checked by a chain of short tasks, and a stalled one resumed.
    """
    token = _take_over(job_pk, ImportState.UPLOADED, ImportState.CHECKING)
    job = ImportJob.objects.select_related("created_by").filter(pk=job_pk).first()
    if token is None or job is None:
        return True  # checked, failed or discarded meanwhile
    deadline = None if seconds is None else time.monotonic() + seconds
    with translation.override(job.language):
        try:
            return _check_rows(job, token, deadline)
        except FileUnreadable as error:
            with transaction.atomic():
                job = _locked_jobs().filter(pk=job_pk, run_token=token).first()
                if job is not None:
                    job.move_to(ImportState.FAILED)
                    job.error = str(error)
                    job.save(update_fields=["state", "error", "updated_at"])
            return True


def _check_rows(job: ImportJob, token, deadline) -> bool:
    numbered = read_rows(bytes(job.content), job.file_format)
    header = next(((number, cells) for number, cells in numbered if any(cells)), None)
    if header is None:
        raise FileUnreadable(_("The file is empty."))
    previous, headers = header
    kind = KINDS[job.kind]
    layout = kind.layout(headers)
    if not _still_in_charge(job.pk, token, headers=headers, ignored_columns=layout.ignored):
        return True
    checker = kind.checker(actor=job.created_by, layout=layout, in_file=True)
    done = list(job.rows.order_by("number").values_list("number", "state", "values"))
    checker.remember((number, values) for number, state, values in done if state == RowState.VALID)
    counts = Counter(state for _number, state, _values in done)
    last_done = max((number for number, _state, _values in done), default=0)
    batch, blank = [], 0
    for number, cells in numbered:  # the spreadsheet's row numbers: the header's is 1 when it is the first line
        blank += number - previous - 1  # rows an XLSX sheet leaves out are empty too
        previous = number
        if not any(cells):
            blank += 1
            continue
        if number <= last_done:
            continue  # checked by an earlier run of the chain
        if counts.total() >= MAX_ROWS:
            raise FileUnreadable(
                _("The file has more than %(rows)s rows: split it into several files.")
                % {"rows": formatting.number(MAX_ROWS)}
            )
        result = checker.check(cells, number=number)
        state = RowState.INVALID if result.errors else RowState.VALID
        counts[state] += 1
        batch.append(
            ImportRow(
                job=job, number=number, cells=cells, state=state, errors=result.errors, warnings=result.warnings,
                values=result.values(),
            )
        )  # fmt: skip
        out_of_time = deadline is not None and time.monotonic() > deadline
        if len(batch) >= CHUNK_ROWS or out_of_time:
            progress = {"valid_rows": counts[RowState.VALID], "invalid_rows": counts[RowState.INVALID]}
            if not _still_in_charge(job.pk, token, batch, **progress):
                return True  # another run took over
            if out_of_time:
                return False
            batch = []
    with transaction.atomic():
        job = _locked_jobs().filter(pk=job.pk, run_token=token).first()
        if job is None:
            return True
        ImportRow.objects.bulk_create(batch)
        job.move_to(ImportState.CHECKED)
        job.count_rows()
        job.blank_rows = blank
        job.attempts = 0
        job.content = b""  # every cell is in the rows now
        job.checked_at = timezone.now()
        job.save()
    return True


@transaction.atomic
def import_job_overdue(job_pk: int) -> None:
    """A task ran into its soft time limit: the check fails with the reason (the file stays for download);
    an import rejects the row it was stuck on, so that the next task carries on after it."""
    job = _locked_jobs().filter(pk=job_pk).first()
    if job is None:
        return
    seconds = settings.IMPORT_SOFT_TIME_LIMIT
    with translation.override(job.language):
        if job.state == ImportState.CHECKING:
            job.move_to(ImportState.FAILED)
            job.run_token = None  # a run of the chain still going somewhere stops at its next write
            job.error = _(
                "The check of this file took longer than %(seconds)s seconds and was stopped. Save the file again "
                "without empty rows and formatting, or split it, and upload it again."
            ) % {"seconds": seconds}
            job.save(update_fields=["state", "run_token", "error", "updated_at"])
        elif job.state == ImportState.IMPORTING:
            row = job.rows.unfinished().order_by("number").select_for_update().first()
            if row is not None:
                row.state = RowState.REJECTED
                message = _("Importing this row took longer than %(seconds)s seconds.") % {"seconds": seconds}
                row.errors = [["", message]]
                row.save(update_fields=["state", "errors"])


# --- confirmation and import ----------------------------------------------------------------------


@transaction.atomic
def import_job_confirm(*, job: ImportJob, actor: User) -> bool:
    """Start the import of a checked job; False if it was already started (a second click changes nothing)."""
    job = lock(ImportJob, job.pk)
    if not can_act_on_import(actor, job):
        raise PermissionDenied
    if job.state != ImportState.CHECKED:
        return False
    job.move_to(ImportState.IMPORTING)
    job.import_started_at, job.confirmed_from = timezone.now(), audit.serving_client_ip()
    job.save(update_fields=["state", "import_started_at", "confirmed_from", "updated_at"])
    return True


@transaction.atomic
def import_job_discard(*, job: ImportJob, actor: User) -> None:
    """Who uploaded a file drops it before its import starts; an import that started is kept as a record."""
    job = lock(ImportJob, job.pk)
    if not can_discard_import(actor, job):
        raise PermissionDenied
    job.delete()


@transaction.atomic
def import_job_unconfirm(*, job: ImportJob) -> None:
    """The worker could not be reached: back to waiting for confirmation, if nothing was imported yet."""
    job = lock(ImportJob, job.pk)
    if job.state == ImportState.IMPORTING and not job.rows.filter(state__in=FINAL_ROW_STATES).exists():
        job.move_to(ImportState.CHECKED)
        job.save(update_fields=["state", "updated_at"])


def _import_row(job: ImportJob, row_pk: int, checker: RowChecker, people: dict) -> None:
    try:
        with transaction.atomic():
            row = ImportRow.objects.select_for_update().get(pk=row_pk)
            if row.state in FINAL_ROW_STATES:
                return  # done by an earlier or a parallel run
            if row.state == RowState.INVALID:
                # Refused by the dry run the user confirmed: reported, never attempted.
                row.state = RowState.REJECTED
                row.save(update_fields=["state"])
                return
            links, warnings = KINDS[job.kind].write_row(job, row, checker, people)
            for name, value in links.items():
                setattr(row, name, value)
            row.state, row.warnings, row.values = RowState.IMPORTED, warnings, {}
            row.save(update_fields=["state", *links, "warnings", "values"])
            return
    except RowRefused as refused:
        errors = refused.errors
    except ValidationError as error:
        errors = [["", str(message)] for message in error.messages]
    except PermissionDenied:
        errors = [["", _("You may no longer import customers.") if job.kind == ImportKind.CUSTOMERS
                   else _("You may not open deals on this customer.")]]  # fmt: skip
    except IntegrityError as error:
        errors = [["", _("The database refused the row: %(error)s") % {"error": error}]]
    # Everything the row wrote went with its transaction; now say why, unless another run finished it meanwhile.
    with transaction.atomic():
        row = ImportRow.objects.select_for_update().get(pk=row_pk)
        if row.state not in FINAL_ROW_STATES:
            row.state, row.errors = RowState.REJECTED, errors
            row.save(update_fields=["state", "errors"])


def _register_row(job: ImportJob, row: ImportRow, checker: RowChecker, people: dict) -> tuple[dict, list]:
    if row.values and not row.values["recheck"]:
        result = RowCheck.from_values(row.values, people)
    else:
        result = checker.check(row.cells, number=row.number, find_duplicate_customers=False)
    if result.errors:
        raise RowRefused(result.errors)
    actor = job.created_by
    registration = customer_register_imported(
        customer=result.customer,
        actor=actor,
        owner=result.owner,
        reason_code=reasons.IMPORTED,
        reason_params={"file": job.file_name, "row": row.number},
    )
    if registration.outcome != RegistrationOutcome.CREATED:
        strong = next(match for match in registration.matches if match.is_strong)
        raise RowRefused([["", duplicate_message(strong)]])
    customer = registration.customer
    for contact in result.contacts:
        contact.customer = customer
    # A new customer has no other contact to take the primary flag from; the database keeps it to one.
    Contact.objects.bulk_create(result.contacts)
    if result.grade and result.grade != customer.grade:
        customer_override_grade(
            customer=customer,
            grade=result.grade,
            actor=actor,
            reason_code=reasons.GRADE_IMPORTED,
            reason_params={"file": job.file_name},
        )
    warnings = [["", similar_message(match)] for match in registration.matches[:1]]
    return {"customer": customer}, warnings


def import_job_run(job_pk: int, *, seconds: float | None = None) -> bool:
    """Import the job's remaining rows, for about `seconds` (None: all). True once every row is done."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_pk)
    if job.state != ImportState.IMPORTING:
        return job.state == ImportState.DONE
    deadline = None if seconds is None else time.monotonic() + seconds
    with translation.override(job.language):
        kind = KINDS[job.kind]
        checker = kind.checker(actor=job.created_by, layout=kind.layout(job.headers), in_file=False)
        people, after = {}, 0
        while True:
            # Walks the rows in file order from where the last chunk ended, not past every row already done.
            pending = list(
                job.rows.unfinished()
                .filter(number__gt=after)
                .order_by("number")
                .values_list("pk", "number")[:CHUNK_ROWS]
            )
            if not pending:
                return _finish(job)
            for row_pk, after in pending:  # noqa: B007 - `after` is where the next chunk starts
                _import_row(job, row_pk, checker, people)
                if deadline is not None and time.monotonic() > deadline:
                    _save_counts(job)
                    return False
            _save_counts(job)


def _save_counts(job: ImportJob) -> None:
    with transaction.atomic():
        job = lock(ImportJob, job.pk)
        job.count_rows()
        job.save(
            update_fields=[
                "total_rows", "valid_rows", "invalid_rows", "warning_rows", "imported_rows", "rejected_rows",
                "updated_at",
            ]
        )  # fmt: skip


@transaction.atomic
def _finish(job: ImportJob) -> bool:
    job = lock(ImportJob, job.pk)
    if job.state == ImportState.DONE:
        return True
    job.count_rows()
    job.move_to(ImportState.DONE)
    job.finished_at = timezone.now()
    job.save()
    if job.kind == ImportKind.CUSTOMERS:  # a deal goes to its customer's holder, who knows of it already
        _tell_owners(job)
    audit.record(
        AuditAction.IMPORT,
        actor=job.created_by,
        ip_address=job.confirmed_from,
        subject=job,
        summary=_("%(file)s: %(imported)s of %(total)s rows imported, %(rejected)s rejected")
        % {
            "file": job.file_name,
            "imported": job.imported_rows,
            "total": job.total_rows,
            "rejected": job.rejected_rows,
        },
        detail={
            "job": job.pk,
            "file": job.file_name,
            "total": job.total_rows,
            "imported": job.imported_rows,
            "rejected": job.rejected_rows,
        },
    )
    return True


def _tell_owners(job: ImportJob) -> None:
    """One notification per rep who received customers (not one per customer)."""
    received = Counter(
        job.rows.filter(state=RowState.IMPORTED, customer__owner__isnull=False)
        .exclude(customer__owner=job.created_by)
        .values_list("customer__owner", flat=True)
    )
    for owner in User.objects.filter(pk__in=received):
        notify(
            [owner],
            kind=NotificationKind.CUSTOMER_ASSIGNED,
            reason_code=reasons.IMPORTED_FOR_YOU,
            reason_params={"count": received[owner.pk], "file": job.file_name, "actor": str(job.created_by)},
            link=f"{reverse('crm:customer_list')}?{urlencode({'owner': owner.pk})}",
        )


# --- the error report -----------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def error_report_lines(job: ImportJob):
    """CSV of the rows with errors as they were uploaded, plus why: fix them and upload the report again."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    # The reasons come first (read before the data); a re-upload of the report ignores that column.
    yield writer.writerow([_("Errors"), *(spreadsheet_safe(title) for title in job.headers)])
    rows = job.rows.with_errors().order_by("number").only("number", "cells", "errors")
    for row in rows.iterator(chunk_size=2000):
        reasons = "; ".join(
            _("row %(row)s, %(column)s: %(message)s") % {"row": row.number, "column": column, "message": message}
            if column
            else _("row %(row)s: %(message)s") % {"row": row.number, "message": message}
            for column, message in row.errors
        )
        yield writer.writerow([spreadsheet_safe(reasons), *(spreadsheet_safe(cell) for cell in row.cells)])
