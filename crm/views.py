from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import MAX_URL_REDIRECT_LENGTH, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language
from django_htmx.http import reswap, retarget

from accounts import audit
from accounts.models import AuditAction, User
from accounts.permissions import can_manage_people, manager_required, sells

from . import exports, paging, search, services
from .calling import call_target
from .filters import CustomerFilter, more_filters_open
from .forms import ContactForm, FollowSuggestionForm, GradeOverrideForm
from .models import Contact, Customer, Grade, GradeRule, Notification, RecentCustomer
from .paging import Order, keyset_page, planner_rows_by, rounded
from .pdf import render_pdf
from .permissions import can_edit_customer, can_export_customers, can_set_grade
from .services import contact_save, customer_follow_suggested_grade, customer_override_grade
from .tasks import broker_reachable

PAGE_SIZE = 25
SUGGESTIONS = 10  # names offered as one types a customer's name


def home(request):
    """Each role's start page: reps their day; managers and admins the follow-up board."""
    if not can_manage_people(request.user):  # the board's own rule (claims.board.permissions.can_see_board)
        return redirect("visits:day")
    return redirect("board:board")


def notifications(request):
    """What happened to the user's customers and disputes, newest first; one tap marks all read."""
    if request.method == "POST":
        Notification.objects.filter(user=request.user).unread().update(read_at=timezone.now())
        return redirect("notifications")
    page = Paginator(
        Notification.objects.filter(user=request.user).select_related("customer").order_by("-created_at", "-pk"), 50
    ).get_page(request.GET.get("page"))
    return render(request, "crm/notifications.html", {"page": page})


@login_not_required
@never_cache
def healthz(request):
    """For load balancers and docker healthchecks: "db ok, broker ok" when all is well.

    503 only when the database is out of reach, for then no page can be served. A broker that is down
    shows as "broker down" with a 200: the pages and visit logs still work (only background jobs wait),
    and restarting the web would not bring the broker back.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        database = "down"
    else:
        database = "ok"
    broker = "ok" if broker_reachable() else "down"
    return HttpResponse(
        f"db {database}, broker {broker}", content_type="text/plain", status=503 if database == "down" else 200
    )


@login_not_required  # the language switch must work on the login page too
def switch_language(request):
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES) and request.method == "POST":
        # Remembered for what is sent without a request: the daily digest email.
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response


def filtered_customers(request, *, people_as_ids=False):
    customers = Customer.objects.visible_to(request.user, people_as_ids=people_as_ids).select_related("owner")
    return CustomerFilter(request.GET or None, queryset=customers, user=request.user)


def customer_list(request):
    # On PostgreSQL a manager's people are named by id, for the page as for its counts (which read them anyway):
    # the planner estimates the visible customers from the holder column's statistics, and the filter is built once.
    by_ids = connection.vendor == "postgresql"
    customer_filter = filtered_customers(request, people_as_ids=by_ids)
    customers = customer_filter.qs
    page = keyset_page(customers, customer_order(customer_filter), params=request.GET, size=PAGE_SIZE)
    exact = request.GET.get("count") == "exact" and can_manage_people(request.user)
    counts = customer_counts(customers, page=page, exact=exact)
    query = request.GET.copy()
    for cursor in ("page", "after", "before"):
        query.pop(cursor, None)
    return render(
        request,
        "crm/customer_list.html",
        {
            "filter": customer_filter,
            "filters_open": more_filters_open(customer_filter.form),
            "page": page,
            "counts": counts,
            "querystring": query.urlencode(),
            "can_count_exactly": counts["estimated"] and can_manage_people(request.user),
            "can_export": can_export_customers(request.user),
            "holds_credit": sells(request.user),  # admins hold no credit shares
        },
    )


SORTABLE = {"name", "grade", "annual_purchases", "next_follow_up_on", "created_at"}


def customer_order(customer_filter) -> Order:
    """The list's sort as the filter's "Sort by" asks, by name when it does not.

    By name the list walks the customer_name_order index; a search's few matches are sorted by Lower(name)
    instead, or the planner walks the whole index testing each row against the search (170 ms at 100,000)."""
    asked = customer_filter.form.cleaned_data.get("ordering") if customer_filter.is_valid() else None
    name = (asked or [""])[0]
    key = name.lstrip("-")
    if key in SORTABLE:
        field = Customer._meta.get_field(key)
        return Order(key, descending=name.startswith("-"), nullable=field.null, parse=field.to_python)
    searching = customer_filter.is_valid() and customer_filter.form.cleaned_data.get("q", "").strip()
    return Order(Lower("name") if searching else "name")


def customer_counts(customers, *, page, exact: bool) -> dict:
    """The list's total and its grades: exact when PostgreSQL's planner expects up to COUNT_EXACT_UP_TO
    customers (or when a manager asks), else its estimate, so that a list of 25,000 is not counted on every page.

    `customers` name a manager's people by id on PostgreSQL (customer_list), which the planner estimates well and
    counts from the customer_board_counts index alone (19 -> 2 ms for a manager's overdue A customers at
    100,000)."""
    estimates = {} if exact or connection.vendor != "postgresql" else planner_rows_by(customers, "grade", Grade.values)
    estimate = sum(estimates.values())
    if estimate > paging.COUNT_EXACT_UP_TO and not (page.is_first and not page.has_next):
        grades = {g: rounded(n) for g, n in estimates.items()}
        total = max(rounded(estimate), paging.COUNT_EXACT_UP_TO + 1)
        return {"total": total, "estimated": True, "grades": list(grades.items())}
    if estimate > paging.COUNT_EXACT_UP_TO:  # the whole list is on the page: counted there
        counted = Counter(customer.grade for customer in page)
        counted["total"] = len(page)
    else:
        by_grade = {g: Count("pk", filter=Q(grade=g)) for g in Grade.values}
        counted = customers.order_by().aggregate(total=Count("pk"), **by_grade)
    return {"total": counted["total"], "estimated": False, "grades": [(g, counted[g]) for g in Grade.values]}


@manager_required
def customer_export(request, file_format):
    if file_format not in exports.FORMATS:
        raise Http404
    customer_filter = filtered_customers(request)
    if customer_filter.is_bound and not customer_filter.is_valid():
        # An ignored filter would export more than was asked for (everyone the manager may see): refuse instead.
        messages.error(
            request,
            _("Nothing was exported: a filter cannot be applied. %(errors)s")
            % {"errors": customer_filter.error_text()},
        )
        back = f"{reverse('crm:customer_list')}?{request.GET.urlencode()}"
        # Back to the list with the filters, unless they are longer than any redirect may be.
        return redirect(back if len(back) <= MAX_URL_REDIRECT_LENGTH else "crm:customer_list")
    customers = customer_filter.qs.select_related("owner", "referred_by")
    applied = customer_filter.applied() if customer_filter.is_bound else {}
    row_count = customers.count()
    # Who took which slice of the customer base: the filters as applied and the rows the file holds.
    audit.record(
        AuditAction.EXPORT,
        request=request,
        summary=f"{file_format.upper()}: {row_count} · {urlencode(applied, doseq=True) or '—'}",
        detail={"format": file_format, "filters": applied, "rows": row_count},
    )
    return exports.customer_export_response(customers, file_format)


def customer_suggest(request):
    """htmx: <option>s for the customer-name datalist."""
    text = request.GET.get("referred_by") or request.GET.get("q", "")
    names = []
    if len(text.strip()) >= 2 and "\x00" not in text:  # no name holds NUL, and PostgreSQL refuses it in a query
        # By id, as the search box: ten matches without an order, which under a subquery of people PostgreSQL
        # hoped to meet early by walking the holders' index from its start.
        visible = Customer.objects.visible_to(request.user, people_as_ids=True)
        names = visible.search(text, some=SUGGESTIONS).values_list("name", flat=True)[:SUGGESTIONS]
    return render(request, "crm/partials/customer_suggestions.html", {"names": names})


def site_search(request):
    """The search box: with htmx the results under the box as the user types (recent customers while it is
    empty); without, a page of results, for a browser without JavaScript or an Enter with no hit chosen."""
    text = request.GET.get("q", "")
    results = search.search(request.user, text)
    if request.htmx:
        recent = search.recent_customers(request.user) if not text.strip() else None
        return render(request, "crm/partials/search_results.html", {"results": results, "recent": recent})
    return render(request, "crm/search.html", {"results": results, "typed": text[: search.MAX_LENGTH]})


def _visible_customer(request, pk):
    return get_object_or_404(
        Customer.objects.visible_to(request.user).select_related("owner__team", "referred_by", "created_by"),
        pk=pk,
    )


def editable_customer(request, pk):
    """The customer `pk` if the user may change it: 404 if they cannot see it, 403 if they only see it."""
    customer = _visible_customer(request, pk)
    if not can_edit_customer(request.user, customer):
        raise PermissionDenied
    return customer


def missing_roles_text(roles):
    if not roles:
        return ""
    separator = pgettext("list separator", ", ")
    return _("Not yet known: %(roles)s.") % {"roles": separator.join(str(role) for role in roles)}


def customer_card_context(request, customer):
    contacts = list(customer.contacts.all())
    policy = GradeRule.policy()
    suggested = customer.suggested_grade(policy)
    user = request.user
    return {
        "customer": customer,
        "contacts": contacts,
        "call": call_target(customer, contacts),
        "coverage": customer.role_coverage(contacts),
        "missing_roles_text": missing_roles_text(customer.missing_key_roles(contacts)),
        "suggested_grade": suggested,
        "grade_rule": policy[customer.grade],
        "man_verdict": customer.man_verdict,
        "quadrant": customer.quadrant,
        "grade_changes": customer.grade_changes.select_related("changed_by")[:20],
        "can_edit": can_edit_customer(user, customer),
        "can_set_grade": can_set_grade(user, customer),
        "grade_form": GradeOverrideForm(initial={"grade": customer.grade}),
        "read_only": False,
    }


def customer_detail(request, pk):
    customer = _visible_customer(request, pk)
    RecentCustomer.objects.note(user=request.user, customer=customer)
    return render(request, "crm/customer_detail.html", customer_card_context(request, customer))


@require_POST
@manager_required
def customer_set_grade(request, pk):
    customer = _visible_customer(request, pk)
    form = GradeOverrideForm(request.POST)
    if request.POST.get("follow_suggestion"):
        follow = FollowSuggestionForm(request.POST)
        if follow.is_valid():
            customer_follow_suggested_grade(customer=customer, actor=request.user, reason=follow.cleaned_data["reason"])
            messages.success(request, _("The grade follows the suggestion again."))
            return redirect("crm:customer_detail", pk=pk)
        # Refused (a NUL in the reason): its one field is the grade form's reason, whose error the page shows.
    elif form.is_valid():
        try:
            customer_override_grade(customer=customer, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Grade set to %(grade)s.") % {"grade": form.cleaned_data["grade"]})
            return redirect("crm:customer_detail", pk=pk)
    context = customer_card_context(request, customer)
    context["grade_form"] = form
    return render(request, "crm/customer_detail.html", context, status=400)


def contact_form(request, pk, contact_pk=None):
    """Add or edit a contact; with htmx the form and the refreshed list are partials of the card."""
    customer = editable_customer(request, pk)
    contact = get_object_or_404(Contact, pk=contact_pk, customer=customer) if contact_pk else Contact(customer=customer)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        contact_save(contact=form.save(commit=False), actor=request.user)
        if request.htmx:
            context = {**customer_card_context(request, customer), "saved": contact}
            response = render(request, "crm/partials/contacts.html", context)
            return reswap(retarget(response, "#contacts"), "innerHTML")
        messages.success(request, _("Contact saved."))
        return redirect("crm:customer_detail", pk=pk)
    template = "crm/partials/contact_form.html" if request.htmx else "crm/contact_form.html"
    return render(request, template, {"form": form, "customer": customer, "contact": contact})


@require_POST
def contact_delete(request, pk, contact_pk):
    customer = editable_customer(request, pk)
    services.contact_delete(contact=get_object_or_404(Contact, pk=contact_pk, customer=customer), actor=request.user)
    if request.htmx:
        return render(request, "crm/partials/contacts.html", customer_card_context(request, customer))
    messages.success(request, _("Contact removed."))
    return redirect("crm:customer_detail", pk=pk)


def customer_dossier(request, pk):
    customer = _visible_customer(request, pk)
    context = customer_card_context(request, customer)
    return render_pdf(request, "crm/dossier_pdf.html", context, filename=f"dossier-{customer.pk}.pdf")
