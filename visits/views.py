import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import manager_required
from crm.deals.services import opportunity_move
from crm.evidence.uploads import attach_uploads, report_attached, uploaded_files
from crm.formatting import full_date
from crm.http import refusal_text, safe_next
from crm.models import Customer
from crm.pdf import render_pdf

from . import offline
from .calendar import calendar_feed_for, calendar_feed_ics, calendar_feed_revoke
from .checkin import CheckinForm
from .day import day_sections
from .forms import DismissForm, SiteForm, SnoozeForm, VisitForm
from .models import CalendarFeed, CustomerSite, Reminder, ReminderState, Visit
from .permissions import can_dismiss_reminder, can_edit_visit, can_log_visit, can_set_site, escalations_for
from .services import (
    AlreadyRecorded,
    customer_site_set,
    customer_snooze,
    recorded_visit,
    reminder_dismiss,
    visit_record,
    visit_update,
)

WEEK = datetime.timedelta(days=7)


def _followed_customer(request, pk):
    """A customer the user may log visits for: one they can see and change."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user).select_related("owner__team"), pk=pk)
    if not can_log_visit(request.user, customer):
        raise PermissionDenied
    return customer


def visit_create(request, pk):
    """Log a visit. The phone's offline queue posts here too (offline.from_queue) and gets answers it can tell
    apart; a visit whose phone-made id was recorded before is answered with the earlier one, whoever holds the
    customer now."""
    queued = request.method == "POST" and offline.from_queue(request)
    earlier = request.method == "POST" and recorded_visit(request.user, offline.posted_client_id(request))
    if earlier:
        return offline.already_recorded(request, earlier, queued=queued)
    try:
        customer = _followed_customer(request, pk)
    except (PermissionDenied, Http404) as refusal:
        if queued:
            return offline.not_allowed(refusal)
        raise
    form = VisitForm(request.POST or None, customer=customer, actor=request.user, prefill=request.GET)
    if request.method == "POST" and form.is_valid():
        visit = form.save(commit=False)
        visit.customer = customer
        visit.client_id = form.cleaned_data["client_id"]
        try:
            recorded = visit_record(
                visit=visit,
                actor=request.user,
                contacts=form.cleaned_data["contacts"],
                objections=form.objections(),
                # A check-in made before the signal dropped travels with the queued visit.
                check_in=CheckinForm(request.POST).position(),
                uploads=uploaded_files(request),
            )
        except AlreadyRecorded as answer:
            return offline.already_recorded(request, answer.visit, queued=queued)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _move_deal(request, recorded.visit, form)
            if queued:
                return offline.recorded(recorded.visit, recorded.attached.refused)
            messages.success(request, _("Visit logged."))
            report_attached(request, recorded.attached)
            return redirect(safe_next(request, default="visits:day"))
    if queued:
        return offline.refused(form)
    return render(
        request, "visits/visit_form.html", {"form": form, "customer": customer, "next": request.GET.get("next", "")}
    )


def _move_deal(request, visit, form):
    """The visit's next step may move the deal it was about to another stage; a refusal (what the stage still
    needs) leaves the visit logged and is said as a warning."""
    stage = form.cleaned_data.get("deal_stage")
    if not (visit.deal_id and stage):
        return
    try:
        opportunity_move(opportunity=visit.deal, to_stage=stage, actor=request.user)
    except (ValidationError, PermissionDenied) as refusal:
        said = refusal_text(refusal) if isinstance(refusal, ValidationError) else _("You may not move this deal.")
        messages.warning(request, _("The visit is logged; the deal stays where it was. %(why)s") % {"why": said})


@manager_required
def customer_site(request, pk):
    """Where the customer's site is, which on-site check-ins are measured against: set or confirmed by a manager."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user).select_related("owner__team"), pk=pk)
    if not can_set_site(request.user, customer):
        raise PermissionDenied
    site = CustomerSite.objects.filter(customer=customer).select_related("proposed_from__author").first()
    initial = {"lat": site.lat, "lng": site.lng} if site else {}
    # Shown filled in with the position known; an empty POST confirms the proposal as it is.
    form = SiteForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            customer_site_set(customer=customer, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Site location saved."))
            return redirect("crm:customer_detail", pk=customer.pk)
    return render(request, "visits/customer_site.html", {"customer": customer, "site": site, "form": form})


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
            attach_uploads(request, visit)
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
    """The rep's day: overdue, today, the next seven days; one row per customer, with the number to call."""
    sections = day_sections(request.user)
    return render(
        request,
        "visits/day.html",
        {
            "sections": sections,
            "counts": {key: len(rows) for key, rows in sections.items()},
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
        messages.success(request, _("Follow-ups paused until %(day)s.") % {"day": full_date(pause.until)})
        return redirect("visits:day")
    return render(request, "visits/snooze_form.html", {"form": form, "customer": customer})


def visit_pdf(request, pk):
    """One visit as the printable customer follow-up record (客户跟进记录表, 模板1)."""
    visit = get_object_or_404(
        Visit.objects.visible_to(request.user)
        .select_related("customer", "author", "next_step_owner")
        .prefetch_related("contacts", "objections", "attachments"),
        pk=pk,
    )
    return render_pdf(
        request, "visits/visit_pdf.html", {"visit": visit, "customer": visit.customer}, filename=f"visit-{pk}.pdf"
    )
