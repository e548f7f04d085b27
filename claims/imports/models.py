import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked: waiting for your confirmation")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("The file could not be read")


# Where a job may go from each state. A check may start again (a stalled run is taken over); an
# import resumes in place, row by row, so it never starts again.
TRANSITIONS = {
    ImportState.UPLOADED: {ImportState.CHECKING},
    ImportState.CHECKING: {ImportState.CHECKING, ImportState.CHECKED, ImportState.FAILED},
    ImportState.CHECKED: {ImportState.IMPORTING},
    ImportState.IMPORTING: {ImportState.CHECKED, ImportState.DONE},
    ImportState.DONE: set(),
    ImportState.FAILED: set(),
}


class ImportStateError(Exception):
    """The job is not in a state that allows this step (e.g. a second confirmation)."""


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    DEALS = "deals", _("Deals")


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An import is seen by the person who uploaded it; admins see all."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        return self.filter(created_by=user)


class ImportJob(models.Model):
    """One uploaded file, its dry run and its import."""

    STALLED_AFTER = datetime.timedelta(minutes=5)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    file_name = models.CharField(_("file"), max_length=255)
    file_format = models.CharField(max_length=4)
    kind = models.CharField(_("what"), max_length=10, choices=ImportKind.choices, default=ImportKind.CUSTOMERS)
    # The upload itself, in the database so that a worker on another machine reads it; emptied after the check.
    content = models.BinaryField(editable=False, default=bytes)
    # Messages are written in the uploader's language, whichever process writes them.
    language = models.CharField(max_length=10)
    state = models.CharField(_("state"), max_length=20, choices=ImportState.choices, default=ImportState.UPLOADED)
    estimated_rows = models.PositiveIntegerField(default=0)
    headers = models.JSONField(default=list)
    ignored_columns = models.JSONField(default=list)
    error = models.TextField(blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    blank_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    warning_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(_("imported"), default=0)
    rejected_rows = models.PositiveIntegerField(_("rejected"), default=0)
    # The run in charge: a check that finds another run's token has been taken over and stops.
    run_token = models.UUIDField(null=True, blank=True, editable=False)
    # Checks started since the last one that stored rows: a file that kills its worker is not started forever.
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    checked_at = models.DateTimeField(null=True, blank=True)
    import_started_at = models.DateTimeField(null=True, blank=True)
    # Where the import was confirmed from: its audit entry is often written by the worker, outside any request.
    confirmed_from = models.GenericIPAddressField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        db_table = "crm_importjob"  # made by the crm app before imports were an app of their own
        ordering = ["-created_at", "-pk"]
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_by_creator")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="done") | Q(total_rows=models.F("imported_rows") + models.F("rejected_rows")),
                name="importjob_done_accounts_for_every_row",
            ),
        ]

    def __str__(self):
        return self.file_name

    def move_to(self, state):
        """Change state along TRANSITIONS; the caller holds the row lock and saves."""
        if state not in TRANSITIONS[self.state]:
            raise ImportStateError(f"{self.state} → {state}")
        self.state = state

    move_to.alters_data = True

    @property
    def is_running(self):
        return self.state in (ImportState.CHECKING, ImportState.IMPORTING)

    @property
    def is_stalled(self):
        """Running, but no progress for a while: the worker died or the task was lost; it may be resumed."""
        return self.is_running and self.updated_at < timezone.now() - self.STALLED_AFTER

    @property
    def processed_rows(self):
        if self.state == ImportState.IMPORTING:
            return self.imported_rows + self.rejected_rows
        return self.valid_rows + self.invalid_rows

    @property
    def expected_rows(self):
        return self.total_rows or self.estimated_rows

    @property
    def percent(self):
        return min(100, round(100 * self.processed_rows / self.expected_rows)) if self.expected_rows else 0

    @property
    def may_discard(self):
        return self.state in (ImportState.UPLOADED, ImportState.CHECKING, ImportState.CHECKED, ImportState.FAILED)

    def count_rows(self):
        """Set the counters from the rows themselves, so a retried run never counts a row twice."""
        by_state = dict(self.rows.order_by().values_list("state").annotate(n=Count("pk")))
        self.valid_rows = by_state.get(RowState.VALID, 0)
        self.invalid_rows = by_state.get(RowState.INVALID, 0)
        self.imported_rows = by_state.get(RowState.IMPORTED, 0)
        self.rejected_rows = by_state.get(RowState.REJECTED, 0)
        self.total_rows = sum(by_state.values())
        self.warning_rows = self.rows.exclude(warnings=[]).count()

    count_rows.alters_data = True


class RowState(models.TextChoices):
    VALID = "valid", _("Ready to import")
    INVALID = "invalid", _("Has errors")
    IMPORTED = "imported", _("Imported")
    REJECTED = "rejected", _("Rejected")


FINAL_ROW_STATES = (RowState.IMPORTED, RowState.REJECTED)


class ImportRowQuerySet(models.QuerySet):
    def unfinished(self):
        """Rows the import has not yet imported or rejected."""
        return self.exclude(state__in=FINAL_ROW_STATES)

    def with_errors(self):
        return self.filter(state__in=(RowState.INVALID, RowState.REJECTED))


class ImportRow(models.Model):
    """One line of the file, its cells as written, and what the check and the import made of it."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(_("row"))  # the line number a spreadsheet shows (the header is 1)
    cells = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=RowState.choices)
    errors = models.JSONField(default=list)  # [[column title or "", message], ...]
    warnings = models.JSONField(default=list)
    values = models.JSONField(default=dict)  # what the dry run made of a good row (RowCheck.values)
    customer = models.ForeignKey("crm.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    opportunity = models.ForeignKey(
        "deals.Opportunity", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # a deal file's row, once imported

    objects = ImportRowQuerySet.as_manager()

    class Meta:
        db_table = "crm_importrow"  # made by the crm app before imports were an app of their own
        ordering = ["job", "number"]
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="importrow_one_per_line")]
        indexes = [models.Index(fields=["job", "state", "number"], name="importrow_job_state")]

    def __str__(self):
        return f"{self.job} · {self.number}"

    def cell(self, index):
        return self.cells[index] if index is not None and index < len(self.cells) else ""
