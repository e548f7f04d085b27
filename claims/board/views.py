"""The follow-up board: the home page of managers and admins, its digest PDF, and the actions on its cards."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import reswap, retarget

from accounts.permissions import manager_required
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
from .permissions import can_see_job_heartbeats
from .services import Card, board_columns, board_scope, overdue_first, team_figures, with_card_facts

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
    context = {
        "scope": scope,
        "filter": board_filter,
        "active_filters": [name for name in board_filter.filters if any(request.GET.getlist(name))],
        "querystring": _querystring(request, "column", "page"),
        "board_path": request.get_full_path(),
    }
    if column in Grade.values:
        cards = overdue_first(with_card_facts(customers.filter(grade=column)))
        page = Paginator(cards, COLUMN_PAGE).get_page(request.GET.get("page"))
        page.object_list = [Card(customer, today) for customer in page.object_list]
        context.update(column=Grade(column), page=page, page_query=_querystring(request, "page"))
    else:
        figures = team_figures(scope, today)
        context.update(
            columns=board_columns(customers, today, grades=board_filter.grades),
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
    context = {"card": Card(customer, timezone.localdate()), "notice": notice, "board_path": _board_path(request)}
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
