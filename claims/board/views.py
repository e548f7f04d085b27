"""The follow-up board: the home page of managers and admins, its digest PDF, and the actions on its cards."""

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import reswap, retarget

from accounts.permissions import manager_required
from crm.deals.forms import SalesTargetGridForm
from crm.deals.models import Period, PeriodKind, SalesTarget
from crm.deals.permissions import target_reps
from crm.deals.services import sales_target_set
from crm.forms import GradeOverrideForm
from crm.http import safe_next
from crm.models import Customer, Grade, JobHeartbeat
from crm.pdf import render_pdf
from crm.services import customer_override_grade

from ..forms import TransferForm
from ..views.pool import transfer_from_form
from .charts import board_charts
from .digest import digest_context
from .filters import BoardFilter
from .forecast import board_forecast
from .permissions import can_see_job_heartbeats
from .services import (
    Card,
    board_columns,
    board_scope,
    card_labels,
    overdue_first,
    team_figures,
    with_card_facts,
)

COLUMN_PAGE = 100  # cards per page when one column is shown in full


def _scope(request):
    scope = board_scope(request.user, request.GET.get("team"))
    if scope is None:
        raise Http404
    return scope


def _querystring(request, *drop):
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    return query.urlencode()


@manager_required
def board(request):
    """Customers by grade, most overdue first, with the team's strip and charts above."""
    scope = _scope(request)
    today = timezone.localdate()
    board_filter = BoardFilter(request.GET or None, queryset=scope.customers(), people=scope.people)
    customers = board_filter.qs
    column = request.GET.get("column")
    back = _next_param(request.get_full_path())
    context = {
        "scope": scope,
        "filter": board_filter,
        "active_filters": [name for name in board_filter.filters if any(request.GET.getlist(name))],
        "querystring": _querystring(request, "column", "page"),
        "team_query": _team_query(scope),
        "card_labels": card_labels(),
    }
    if column in Grade.values:
        cards = overdue_first(with_card_facts(customers.filter(grade=column)))
        page = Paginator(cards, COLUMN_PAGE).get_page(request.GET.get("page"))
        page.object_list = [Card(customer, today, back) for customer in page.object_list]
        context.update(column=Grade(column), page=page, page_query=_querystring(request, "page"))
    else:
        figures = team_figures(scope, today)
        # Unfiltered (or only some grades' columns chosen), a column's totals are the kept per-rep figures summed:
        # counting the team's customers again cost 127 ms at 1,000,000 customers.
        invalid = board_filter.is_bound and not board_filter.form.is_valid()
        narrowed = invalid or set(context["active_filters"]) - {"grade"}
        context.update(
            columns=board_columns(
                customers,
                today,
                grades=board_filter.grades,
                back=back,
                counts=None if narrowed else figures.grade_counts,
            ),
            figures=figures,
            charts=board_charts(figures),
            heartbeats=JobHeartbeat.objects.all() if can_see_job_heartbeats(request.user) else None,
        )
    return render(request, "board/board.html", context)


@manager_required
def digest_pdf(request):
    """The weekly digest of the board as shown (same team), to print or forward."""
    scope = _scope(request)
    today = timezone.localdate()
    name = scope.team.pk if scope.team else "all"
    return render_pdf(
        request, "board/digest_pdf.html", digest_context(scope, today), filename=f"board-{name}-{today}.pdf"
    )


def _board_customer(request, pk):
    return get_object_or_404(Customer.objects.visible_to(request.user).select_related("owner"), pk=pk)


def _next_param(board_path: str) -> str:
    """The board page as the cards' action links carry it back (`?next=`), quoted once for all the cards."""
    return quote(board_path, safe="/")


def _board_path(request):
    """The board page (with its filters) the action was started from, without the card's anchor."""
    return safe_next(request, default="board:board").partition("#")[0]


def _action(request, customer, form, template, title):
    """Render a card action: the fields alone into the card for htmx, else a small page."""
    context = {
        "customer": customer,
        "form": form,
        "title": title,
        "action": request.path,
        "next": safe_next(request, default="board:board"),
        "in_place": request.htmx,
    }
    # A refused form answers 400 in both cases; base.html's htmx config swaps a 400 into the card like a 200.
    status = 400 if request.method == "POST" else 200
    if request.htmx:
        return render(request, f"board/partials/{template}", context, status=status)
    return render(request, "board/action.html", {**context, "fields": f"board/partials/{template}"}, status=status)


def _done(request, customer, notice):
    """After an action: in place, the card itself with what was done, so the board keeps its scroll; else back."""
    if not request.htmx:
        messages.success(request, notice)
        return redirect(safe_next(request, default="board:board"))
    customer = with_card_facts(Customer.objects.filter(pk=customer.pk)).get()
    card = Card(customer, timezone.localdate(), _next_param(_board_path(request)))
    context = {"card": card, "card_labels": card_labels(), "notice": notice}
    response = render(request, "board/partials/card.html", context)
    return reswap(retarget(response, f"#card-{customer.pk}"), "outerHTML")


@manager_required
def reassign(request, pk):
    """Give a customer to another rep from the board; the reason goes into the ownership history."""
    customer = _board_customer(request, pk)
    form = TransferForm(request.POST or None, actor=request.user, holder=customer.owner)
    if request.method == "POST" and (done := transfer_from_form(request, customer, form)):
        return _done(request, customer, done)
    return _action(request, customer, form, "reassign_form.html", _("Transfer"))


@manager_required
def set_grade(request, pk):
    """Override a customer's grade from the board; the reason goes into the grade history."""
    customer = _board_customer(request, pk)
    form = GradeOverrideForm(request.POST or None, initial={"grade": customer.grade})
    if request.method == "POST" and form.is_valid():
        try:
            customer_override_grade(customer=customer, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _done(request, customer, _("Grade set to %(grade)s.") % {"grade": form.cleaned_data["grade"]})
    return _action(request, customer, form, "grade_form.html", _("Set grade"))


def _team_query(scope) -> str:
    return f"?team={scope.team.pk}" if scope.team else ""


@manager_required
def forecast(request):
    """The pipeline on the board: forecast and wins per rep against targets, stuck deals, win rate by stage."""
    scope = _scope(request)
    return render(
        request,
        "board/forecast.html",
        {"scope": scope, "forecast": board_forecast(scope), "team_query": _team_query(scope)},
    )


def target_periods(today) -> list[Period]:
    """The boxes of the targets page: this and next month, this and next quarter."""
    month = Period.containing(PeriodKind.MONTH, today)
    quarter = Period.containing(PeriodKind.QUARTER, today)
    return [month, month.following(), quarter, quarter.following()]


def target_grid(user, scope, data=None) -> SalesTargetGridForm:
    """The targets page's form: the scope's reps `user` may set targets for, by the periods of `target_periods`."""
    periods = target_periods(timezone.localdate())
    reps = target_reps(user).filter(pk__in=scope.people.values("pk"))
    reps = list(reps.order_by("last_name", "first_name", "username"))
    stored = SalesTarget.objects.filter(rep__in=[rep.pk for rep in reps], starts_on__in={p.starts_on for p in periods})
    current = {(t.rep_id, t.period.key): t.amount for t in stored if t.period in periods}
    return SalesTargetGridForm(data, reps=reps, periods=periods, targets=current)


@manager_required
def targets(request):
    """Managers enter what their reps should win per month and quarter; admins for anyone who sells."""
    scope = _scope(request)
    form = target_grid(request.user, scope, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                for rep, period, amount in form.changes():
                    sales_target_set(actor=request.user, rep=rep, period=period, amount=amount)
        except ValidationError as error:
            form.add_error(None, error.messages)
        except PermissionDenied:
            form.add_error(None, _("You may not set targets for one of these reps."))
        else:
            messages.success(request, _("Targets saved."))
            return redirect(reverse("board:forecast") + _team_query(scope))
    status = 400 if form.is_bound else 200  # bound here: refused
    context = {"scope": scope, "form": form, "periods": form.periods, "team_query": _team_query(scope)}
    return render(request, "board/targets.html", context, status=status)
