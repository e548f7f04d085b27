"""Import pages: upload, the dry run's preview, confirmation, progress and the error report."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from accounts.permissions import manager_required
from crm import exports
from crm.deals.exports import DEAL_COLUMNS, LINE_COLUMNS, deal_export_response
from crm.deals.models import Opportunity
from crm.models import Customer
from crm.tasks import enqueue

from .deals import read_deal_layout
from .forms import UploadForm
from .models import ImportJob, ImportKind, ImportState, RowState
from .parsing import FileUnreadable, read_layout
from .permissions import can_act_on_import
from .services import (
    error_report_lines,
    import_job_check,
    import_job_confirm,
    import_job_create,
    import_job_discard,
    import_job_run,
    import_job_unconfirm,
    runs_in_background,
)
from .tasks import import_check_task, import_run_task

PAGE_SIZE = 50
WORKER_UNAVAILABLE = gettext_lazy("The background worker is unavailable: try again later.")


def _jobs(request):
    # The upload itself can be large and is never shown.
    return ImportJob.objects.visible_to(request.user).defer("content").select_related("created_by")


def _own_job(request, pk):
    job = get_object_or_404(_jobs(request), pk=pk)
    if not can_act_on_import(request.user, job):
        raise PermissionDenied  # an admin may look at anyone's import, not act on it
    return job


def _start_check(request, job) -> None:
    if not runs_in_background(job):
        import_job_check(job.pk)
    elif not enqueue(import_check_task, job.pk):
        messages.error(request, WORKER_UNAVAILABLE)


def _uploaded(request, form, kind):
    """The job of a valid upload, its check started; None (the reason on the form) for a file it cannot read."""
    upload = form.cleaned_data["file"]
    try:
        job = import_job_create(
            actor=request.user, file_name=upload.name, content=upload.read(), language=request.LANGUAGE_CODE,
            kind=kind,
        )  # fmt: skip
    except FileUnreadable as error:
        form.add_error("file", str(error))
        return None
    _start_check(request, job)
    return job


@manager_required
def import_start(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = _uploaded(request, form, ImportKind.CUSTOMERS)
        if job is not None:
            return redirect("crm:import_job", pk=job.pk)
    return render(
        request,
        "imports/start.html",
        {
            "form": form,
            "jobs": _jobs(request)[:20],
            "columns": [column.title for column in exports.CUSTOMER_COLUMNS if column.field],
            "contact_columns": [column.title for column in exports.CONTACT_COLUMNS],
            "ignored_columns": [column.title for column in exports.CUSTOMER_COLUMNS if not column.field],
        },
    )


@manager_required
def deal_import_start(request):
    """Deals from the pipeline's spreadsheet: the same dry run, confirmation and error report as customers."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = _uploaded(request, form, ImportKind.DEALS)
        if job is not None:
            return redirect("crm:import_job", pk=job.pk)
    return render(
        request,
        "imports/deal_start.html",
        {
            "form": form,
            "jobs": _jobs(request).filter(kind=ImportKind.DEALS)[:20],
            "columns": [column.title for column in DEAL_COLUMNS if column.field],
            "line_columns": [column.title for column in LINE_COLUMNS],
            "ignored_columns": [column.title for column in DEAL_COLUMNS if not column.field],
        },
    )


@manager_required
def deal_import_template(request, file_format):
    """The deal export's columns with no rows: the file to fill in."""
    return deal_export_response(Opportunity.objects.none(), file_format, name="deal-import-template")


@manager_required
def import_template(request, file_format):
    """The export's columns with no rows: the file to fill in."""
    return exports.customer_export_response(Customer.objects.none(), file_format, name="customer-import-template")


ROW_FILTERS = {
    "all": lambda rows: rows,
    "errors": lambda rows: rows.with_errors(),
    "imported": lambda rows: rows.filter(state=RowState.IMPORTED),
}


def _preview(job, rows):
    """The cells a person recognises a row by, with what the check or the import made of it."""
    if job.kind == ImportKind.DEALS:
        return _deal_preview(job, rows)
    layout = read_layout(job.headers)
    name, phones, owner = (layout.customer.get(field) for field in ("name", "phones", "owner"))
    contact_names = [fields["name"] for fields in layout.contacts.values() if "name" in fields]
    return [
        {
            "row": row,
            "name": row.cell(name),
            "phones": row.cell(phones),
            "owner": row.cell(owner),
            "contacts": sum(1 for index in contact_names if row.cell(index)),
        }
        for row in rows
    ]


def _deal_preview(job, rows):
    layout = read_deal_layout(job.headers)
    customer = layout.deal.get("customer", layout.deal.get("credit_code"))
    title, stage, amount = (layout.deal.get(name) for name in ("title", "stage", "amount"))
    return [
        {
            "row": row,
            "name": row.cell(customer),
            "detail": " · ".join(text for text in (row.cell(title), row.cell(stage), row.cell(amount)) if text),
        }
        for row in rows
    ]


@manager_required
def import_job(request, pk):
    job = get_object_or_404(_jobs(request), pk=pk)
    context = {"job": job, "may_act": can_act_on_import(request.user, job)}
    if job.state in (ImportState.CHECKED, ImportState.IMPORTING, ImportState.DONE):
        default = "errors" if job.state == ImportState.DONE and job.rejected_rows else "all"
        shown = request.GET.get("show") if request.GET.get("show") in ROW_FILTERS else default
        rows = ROW_FILTERS[shown](job.rows.select_related("customer", "opportunity").order_by("number"))
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(shown=shown, page=page, preview=_preview(job, page), querystring=f"show={shown}")
    return render(request, "imports/job.html", context)


@manager_required
def import_progress(request, pk):
    """htmx, every 2 s while the job runs; once it stops the page reloads to show the outcome."""
    job = get_object_or_404(_jobs(request), pk=pk)
    if not job.is_running and request.htmx:
        return HttpResponseClientRefresh()
    context = {"job": job, "may_act": can_act_on_import(request.user, job)}
    return render(request, "imports/partials/progress.html", context)


@manager_required
@require_POST
def import_confirm(request, pk):
    job = _own_job(request, pk)
    if not import_job_confirm(job=job, actor=request.user):
        messages.info(request, _("This import has already been started."))
    elif not runs_in_background(job):
        import_job_run(job.pk)
    elif not enqueue(import_run_task, job.pk):
        import_job_unconfirm(job=job)
        messages.error(request, WORKER_UNAVAILABLE)
    return redirect("crm:import_job", pk=job.pk)


@manager_required
@require_POST
def import_resume(request, pk):
    """Carry on with the check or the import where it stopped, when the worker never began it or stopped."""
    job = _own_job(request, pk)
    if job.state == ImportState.UPLOADED or (job.state == ImportState.CHECKING and job.is_stalled):
        _start_check(request, job)
    elif job.state == ImportState.IMPORTING and job.is_stalled:
        if runs_in_background(job):
            if not enqueue(import_run_task, job.pk):
                messages.error(request, WORKER_UNAVAILABLE)
        else:
            import_job_run(job.pk)
    return redirect("crm:import_job", pk=job.pk)


@manager_required
@require_POST
def import_discard(request, pk):
    job = _own_job(request, pk)
    import_job_discard(job=job, actor=request.user)
    messages.success(request, _("The import of %(file)s was discarded.") % {"file": job.file_name})
    return redirect("crm:import_start")


@manager_required
def import_errors(request, pk):
    """The rows with errors, as uploaded, with the reasons in front: fix them and upload this file again."""
    job = get_object_or_404(_jobs(request), pk=pk)
    response = StreamingHttpResponse(error_report_lines(job), content_type="text/csv; charset=utf-8")
    stem = job.file_name.rsplit(".", 1)[0]
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}-errors.csv")
    return response


@manager_required
def import_file(request, pk):
    """The file as it was uploaded, while it is kept: until its rows are checked, and for good when the check failed."""
    job = get_object_or_404(ImportJob.objects.visible_to(request.user).exclude(content=b""), pk=pk)
    response = HttpResponse(bytes(job.content), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, job.file_name)
    return response
