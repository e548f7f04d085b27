"""Complaint pages: recorded on a phone, moved along its workflow, printed as the 模板3 record, and reported."""

from itertools import groupby
from operator import attrgetter

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.evidence.uploads import attach_uploads
from crm.http import add_service_errors
from crm.models import Customer
from crm.paging import Order, keyset_page, list_count
from crm.pdf import render_pdf

from .filters import ComplaintFilter
from .forms import ComplaintEditForm, ComplaintForm, ComplaintStepForm
from .models import Category, Complaint, State
from .permissions import can_handle_complaint
from .services import complaint_move, complaint_record, complaint_update

PAGE_SIZE = 50
NEWEST_FIRST = Order("received_at", descending=True, parse=Complaint._meta.get_field("received_at").to_python)

# What the button that moves a complaint to each state says.
MOVE_LABELS = {
    State.INVESTIGATING: gettext_lazy("Start investigating"),
    State.RESOLVED: gettext_lazy("Mark resolved"),
    State.CLOSED: gettext_lazy("Close: the customer accepted"),
    State.OPEN: gettext_lazy("Reopen"),
}


def _visible_complaint(request, pk):
    complaints = Complaint.objects.visible_to(request.user).select_related(
        "customer__owner", "complainant", "assignee", "created_by"
    )
    return get_object_or_404(complaints, pk=pk)


def complaint_create(request, customer_pk):
    """Anyone who can see the customer records a complaint; the service informs the owner."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=customer_pk)
    form = ComplaintForm(
        request.POST or None, instance=Complaint(customer=customer), customer=customer, actor=request.user
    )
    if request.method == "POST" and form.is_valid():
        complaint = form.save(commit=False)
        if form.cleaned_data["assignee"]:
            complaint.assignee = form.cleaned_data["assignee"]
        try:
            complaint_record(complaint=complaint, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Complaint recorded."))
            attach_uploads(request, complaint)  # after the complaint is saved: a refused file never loses it
            return redirect("complaints:detail", pk=complaint.pk)
    return render(request, "complaints/complaint_form.html", {"form": form, "customer": customer})


def complaint_list(request):
    def filtered(**visibility):
        complaints = Complaint.objects.visible_to(request.user, **visibility).select_related("customer", "assignee")
        return ComplaintFilter(request.GET or None, queryset=complaints, user=request.user)

    complaint_filter = filtered()
    page = keyset_page(complaint_filter.qs, NEWEST_FIRST, params=request.GET, size=PAGE_SIZE)
    now = timezone.now()
    for complaint in page:
        complaint.overdue = complaint.is_overdue(now)
    customer_pk = complaint_filter.form.cleaned_data.get("customer") if complaint_filter.is_bound else None
    query = request.GET.copy()
    for cursor in ("page", "after", "before"):
        query.pop(cursor, None)
    return render(
        request,
        "complaints/complaint_list.html",
        {
            "filter": complaint_filter,
            "page": page,
            "count": list_count(complaint_filter.qs, page=page, planned=lambda: filtered(people_as_ids=True).qs),
            "querystring": query.urlencode(),
            "filters_open": bool(set(complaint_filter.form.changed_data) - {"q", "customer"}),
            "for_customer": customer_pk and Customer.objects.visible_to(request.user).filter(pk=customer_pk).first(),
        },
    )


def _detail_context(request, complaint, step_form=None):
    can_handle = can_handle_complaint(request.user, complaint)
    return {
        "complaint": complaint,
        "customer": complaint.customer,
        "events": complaint.events.select_related("actor"),
        "overdue": complaint.is_overdue(),
        "can_handle": can_handle,
        "moves": [(state, MOVE_LABELS[state]) for state in complaint.allowed_states()] if can_handle else [],
        "step_form": step_form or ComplaintStepForm(complaint=complaint),
    }


def complaint_detail(request, pk):
    complaint = _visible_complaint(request, pk)
    return render(request, "complaints/complaint_detail.html", _detail_context(request, complaint))


@require_POST
def complaint_move_view(request, pk):
    """Take a step; the fields it still needs are typed in the same form, and all of it stays on a refusal."""
    complaint = _visible_complaint(request, pk)
    form = ComplaintStepForm(request.POST, complaint=complaint)
    if form.is_valid():
        try:
            complaint = complaint_move(
                complaint=complaint, actor=request.user, to_state=request.POST.get("to_state", ""),
                note=form.cleaned_data["note"], fields=form.step_fields,
            )  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            state = complaint.get_state_display()
            messages.success(request, _("The complaint is now “%(state)s”.") % {"state": state})
            return redirect("complaints:detail", pk=complaint.pk)
    form.focus_first_error()
    return render(request, "complaints/complaint_detail.html", _detail_context(request, complaint, form), status=400)


def complaint_edit(request, pk):
    complaint = _visible_complaint(request, pk)
    if not can_handle_complaint(request.user, complaint):
        raise PermissionDenied
    form = ComplaintEditForm(request.POST or None, instance=complaint, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            complaint_update(complaint=form.save(commit=False), actor=request.user, changed=form.changed_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            attach_uploads(request, complaint)
            return redirect("complaints:detail", pk=complaint.pk)
    return render(
        request,
        "complaints/complaint_form.html",
        {"form": form, "customer": complaint.customer, "complaint": complaint},
    )


def complaint_pdf(request, pk):
    """The printable customer complaint record (客户投诉处理记录表, 模板3)."""
    complaint = _visible_complaint(request, pk)
    context = {
        "complaint": complaint,
        "customer": complaint.customer,
        "events": complaint.events.select_related("actor"),
    }
    return render_pdf(request, "complaints/complaint_pdf.html", context, filename=f"complaint-{pk}.pdf")


def measures(request):
    """What the company promised to change, by category, across the complaints the user can see."""
    complaints = (
        Complaint.objects.visible_to(request.user)
        .exclude(improvement_measures="")
        .select_related("customer")
        .order_by("category", "-received_at", "-pk")
    )
    order = list(Category.values)
    groups = sorted(
        ((Category(key), list(rows)) for key, rows in groupby(complaints, key=attrgetter("category"))),
        key=lambda group: order.index(group[0]),
    )
    return render(request, "complaints/measures.html", {"groups": groups})
