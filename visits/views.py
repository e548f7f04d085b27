import datetime
from itertools import groupby

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Customer, Grade

from .forms import DismissForm, SnoozeForm, VisitForm
from .models import Reminder, Visit
from .services import customer_snooze, reminder_dismiss, visit_log, visit_update

WEEK = datetime.timedelta(days=7)


def _followed_customer(request, pk):
    """A customer the user may log visits for: one they can see and change."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    if not Customer.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    return customer


def visit_create(request, pk):
    customer = _followed_customer(request, pk)
    form = VisitForm(request.POST or None, customer=customer, actor=request.user)
    if request.method == "POST" and form.is_valid():
        visit = form.save(commit=False)
        visit.customer, visit.author = customer, request.user
        try:
            visit_log(visit=visit, contacts=form.cleaned_data["contacts"], objections=form.objections())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Visit logged."))
            return redirect(request.POST.get("next") or "visits:day")
    return render(
        request, "visits/visit_form.html", {"form": form, "customer": customer, "next": request.GET.get("next", "")}
    )


def visit_edit(request, pk):
    visit = get_object_or_404(Visit.objects.visible_to(request.user).select_related("customer"), pk=pk)
    if not visit.editable_by(request.user):
        raise PermissionDenied
    form = VisitForm(request.POST or None, instance=visit, customer=visit.customer, actor=request.user)
    if request.method == "POST" and form.is_valid():
        visit_update(visit=form.save(commit=False), actor=request.user, contacts=form.cleaned_data["contacts"])
        messages.success(request, _("Visit updated."))
        return redirect("crm:customer_detail", pk=visit.customer_id)
    return render(request, "visits/visit_form.html", {"form": form, "customer": visit.customer, "visit": visit})


def day(request):
    """The rep's day: overdue, today, the next seven days, grouped by grade."""
    today = timezone.localdate()
    reminders = (
        Reminder.objects.open()
        .filter(assignee=request.user, due_on__lte=today + WEEK)
        .select_related("customer")
        .order_by("customer__grade", "due_on", "pk")
    )
    sections = {"overdue": [], "today": [], "week": []}
    for reminder in reminders:
        key = "overdue" if reminder.due_on < today else "today" if reminder.due_on == today else "week"
        sections[key].append(reminder)
    grouped = {
        key: [(grade, list(items)) for grade, items in groupby(rows, key=lambda r: r.customer.grade)]
        for key, rows in sections.items()
    }
    return render(
        request,
        "visits/day.html",
        {
            "grouped": grouped,
            "counts": {key: len(rows) for key, rows in sections.items()},
            "grades": dict(Grade.choices),
            "dismiss_form": DismissForm(),
        },
    )


@require_POST
def reminder_dismiss_view(request, pk):
    reminder = get_object_or_404(Reminder.objects.visible_to(request.user).filter(assignee=request.user), pk=pk)
    form = DismissForm(request.POST)
    if form.is_valid():
        reminder_dismiss(reminder=reminder, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Reminder dismissed."))
    else:
        messages.error(request, _("Say why this follow-up is not needed."))
    return redirect("visits:day")


def snooze(request, pk):
    customer = _followed_customer(request, pk)
    form = SnoozeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pause = customer_snooze(customer=customer, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Follow-ups paused until %(day)s.") % {"day": pause.until})
        return redirect("visits:day")
    return render(request, "visits/snooze_form.html", {"form": form, "customer": customer})
