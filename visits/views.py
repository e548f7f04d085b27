import datetime
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import manager_required
from crm.http import safe_next
from crm.models import Customer, Grade
from crm.pdf import render_pdf

from .calendar import calendar_feed_for, calendar_feed_ics, calendar_feed_revoke
from .forms import DismissForm, SnoozeForm, VisitForm
from .models import CalendarFeed, Reminder, ReminderState, Visit
from .permissions import can_dismiss_reminder, can_edit_visit, can_log_visit, escalations_for
from .services import customer_snooze, reminder_dismiss, visit_log, visit_update

WEEK = datetime.timedelta(days=7)


def _followed_customer(request, pk):
    """A customer the user may log visits for: one they can see and change."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user).select_related("owner__team"), pk=pk)
    if not can_log_visit(request.user, customer):
        raise PermissionDenied
    return customer


def visit_create(request, pk):
    customer = _followed_customer(request, pk)
    form = VisitForm(request.POST or None, customer=customer, actor=request.user)
    if request.method == "POST" and form.is_valid():
        visit = form.save(commit=False)
        visit.customer = customer
        try:
            visit_log(
                visit=visit, actor=request.user, contacts=form.cleaned_data["contacts"], objections=form.objections()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Visit logged."))
            return redirect(safe_next(request, default="visits:day"))
    return render(
        request, "visits/visit_form.html", {"form": form, "customer": customer, "next": request.GET.get("next", "")}
    )


def visit_edit(request, pk):
    visit = get_object_or_404(Visit.objects.visible_to(request.user).select_related("customer"), pk=pk)
    if not can_edit_visit(request.user, visit):
        raise PermissionDenied
    correcting = visit.needs_correction_reason(request.user)
    form = VisitForm(
        request.POST or None, instance=visit, customer=visit.customer, actor=request.user, correcting=correcting
    )
    if request.method == "POST" and form.is_valid():
        try:
            visit_update(
                visit=form.save(commit=False),
                actor=request.user,
                contacts=form.cleaned_data["contacts"],
                reason=form.cleaned_data.get("correction_reason", ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Visit updated."))
            return redirect("crm:customer_detail", pk=visit.customer_id)
    return render(request, "visits/visit_form.html", {"form": form, "customer": visit.customer, "visit": visit})


def visit_history(request, pk):
    visit = get_object_or_404(Visit.objects.visible_to(request.user).select_related("customer", "author"), pk=pk)
    revisions = visit.revisions.select_related("edited_by")
    return render(request, "visits/visit_history.html", {"visit": visit, "revisions": revisions})


@manager_required
def escalation_list(request):
    """Follow-ups escalated to this manager (every team's for an admin) that are still open."""
    escalations = (
        escalations_for(request.user)
        .filter(reminder__state=ReminderState.OPEN)
        .filter(reminder__customer__in=Customer.objects.visible_to(request.user))
        .select_related("reminder__customer", "reminder__assignee", "manager")
        .order_by("reminder__due_on", "pk")
    )
    today = timezone.localdate()
    escalations = list(escalations)
    for escalation in escalations:
        escalation.days_overdue = (today - escalation.reminder.due_on).days
    return render(request, "visits/escalation_list.html", {"escalations": escalations})


def calendar_settings(request):
    if request.method == "POST":
        calendar_feed_revoke(request.user)
        messages.success(request, _("New calendar address made; the old one no longer works."))
        return redirect("visits:calendar")
    feed = calendar_feed_for(request.user)
    url = request.build_absolute_uri(reverse("visits:calendar_feed", args=[feed.token]))
    return render(
        request, "visits/calendar.html", {"feed": feed, "url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]}
    )


@login_not_required  # phone calendars cannot log in: the private token is the key
@never_cache
def calendar_feed(request, token):
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token)
    if not User.objects.current().filter(pk=feed.user_id).exists():
        raise Http404
    with translation.override(feed.user.email_language):
        body = calendar_feed_ics(feed.user)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


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
    reminder = get_object_or_404(Reminder.objects.visible_to(request.user), pk=pk)
    if not can_dismiss_reminder(request.user, reminder):
        raise Http404  # someone else's follow-up: as if it were not there
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


def visit_pdf(request, pk):
    """One visit as the printable customer follow-up record (客户跟进记录表, 模板1)."""
    visit = get_object_or_404(
        Visit.objects.visible_to(request.user)
        .select_related("customer", "author", "next_step_owner")
        .prefetch_related("contacts", "objections"),
        pk=pk,
    )
    return render_pdf(
        request, "visits/visit_pdf.html", {"visit": visit, "customer": visit.customer}, filename=f"visit-{pk}.pdf"
    )
