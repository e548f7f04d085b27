"""Deal pages: opened from the customer card on a phone, worked on the deal page, reviewed on the pipeline."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import MAX_URL_REDIRECT_LENGTH, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import audit
from accounts.models import AuditAction, User
from accounts.permissions import can_manage_people, manager_required
from crm.exports import FORMATS
from crm.http import add_service_errors, refusal_text, safe_next
from crm.models import BuyingRole, Customer

from .exports import deal_export_response
from .filters import DealFilter
from .forms import CloseForm, CompetitorForm, LineForm, MoveForm, OpportunityForm, ParticipantForm
from .models import (
    Competitor,
    Opportunity,
    OpportunityLine,
    Outcome,
    Participant,
    PipelineTotal,
    Requirement,
    Stage,
)
from .permissions import can_create_deal, can_override_requirements, can_work_deal
from .services import (
    RequirementsMissing,
    opportunity_abandon,
    opportunity_create,
    opportunity_lose,
    opportunity_move,
    opportunity_part_delete,
    opportunity_part_save,
    opportunity_update,
    opportunity_win,
)

# The most cards a column shows (soonest to close first); its totals count every deal in it. Rendering a card is
# most of the page's time, so the whole pipeline shows a few per stage and one stage on its own (chosen in the
# filter, or its "and N more" link) shows more.
CARDS_PER_COLUMN = 12
CARDS_IN_ONE_COLUMN = 40

# The parts of a deal added on its page: the model, its form, and the message once saved.
PARTS = {
    "line": (OpportunityLine, LineForm),
    "person": (Participant, ParticipantForm),
    "competitor": (Competitor, CompetitorForm),
}


def _visible_deal(request, pk):
    deals = Opportunity.objects.visible_to(request.user).select_related(
        "customer__owner__team", "stage", "close_reason", "next_step_owner", "created_by"
    )
    return get_object_or_404(deals, pk=pk)


def _workable_deal(request, pk):
    opportunity = _visible_deal(request, pk)
    if not can_work_deal(request.user, opportunity):
        raise PermissionDenied
    return opportunity


# --- the pipeline -----------------------------------------------------------------------------------------


@dataclass
class Column:
    stage: Stage
    next_stage: Stage | None = None
    cards: list = field(default_factory=list)
    count: int = 0
    total: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


WEIGHTED = ExpressionWrapper(
    F("amount") * F("probability") / 100, output_field=DecimalField(max_digits=18, decimal_places=2)
)

# What a card shows of the deal and its customer (the holder comes apart, with their team for can_work_deal).
CARD_FIELDS = (
    "title", "stage", "stage_entered_at", "probability", "expected_close_on", "amount",
    "customer__name", "customer__grade", "customer__owner",
)  # fmt: skip


# Filters the kept totals answer (PipelineTotal is per holder and stage); any other counts the deals.
KEPT_TOTALS_FILTERS = {"owner", "team", "stage"}


def _column_totals(deal_filter, deals, user):
    """Each stage's count, amount and weighted amount, exact: read from the kept totals when nothing but the
    holder, team or stage narrows the pipeline (a manager's usual views), counted from the deals otherwise."""
    chosen = {name: value for name, value in _filter_values(deal_filter).items() if value not in (None, "")}
    if connection.vendor != "postgresql" or not chosen.keys() <= KEPT_TOTALS_FILTERS:
        return deals.order_by().values("stage").annotate(count=Count("pk"), total=Sum("amount"), weighted=Sum(WEIGHTED))
    totals = PipelineTotal.objects.visible_to(user)
    if "owner" in chosen:
        totals = totals.filter(owner=chosen["owner"])
    if "team" in chosen:
        totals = totals.filter(owner__team=chosen["team"])
    if "stage" in chosen:
        totals = totals.filter(stage=chosen["stage"])
    return totals.values("stage").annotate(count=Sum("count"), total=Sum("amount"), weighted=Sum("weighted"))


def _filter_values(deal_filter) -> dict:
    """The filters applied: the valid ones of a bound form (an invalid one is said on the form, not applied)."""
    if not deal_filter.is_bound:
        return {}
    deal_filter.form.is_valid()
    return deal_filter.form.cleaned_data


def _first_cards(deals, stages, per_column: int) -> list[Opportunity]:
    """The soonest-closing deals of each stage: a LIMIT per stage joined by UNION ALL, so each stage reads its first
    rows in close order from the deal_open_cards index (or, for someone who sees few deals, their customers'
    deals) instead of ranking every visible deal. The holders (with their teams) come in a second statement:
    joined into each of the six parts, they made PostgreSQL plan for 25 ms instead of 8."""
    cards = deals.select_related("customer").only(*CARD_FIELDS).order_by("expected_close_on", "pk")
    if not stages:
        return []
    if connection.features.supports_slicing_ordering_in_compound:
        parts = [cards.filter(stage=stage)[:per_column] for stage in stages]
        combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    else:  # SQLite cannot LIMIT the parts of a UNION: rank within each stage instead, still one statement
        order = [F("expected_close_on").asc(), F("pk").asc()]
        combined = (
            cards.filter(stage__in=stages)
            .annotate(place=Window(RowNumber(), partition_by=F("stage"), order_by=order))
            .filter(place__lte=per_column)
        )
    cards = sorted(combined, key=lambda card: (card.expected_close_on, card.pk))
    holders = {card.customer.owner_id for card in cards} - {None}
    people = User.objects.filter(pk__in=holders).select_related("team").in_bulk() if holders else {}
    for card in cards:
        card.customer.owner = people.get(card.customer.owner_id)
    return cards


def _path_for_each(name: str):
    """reverse() once for a page of cards (it is slow enough to show when each of ~70 cards calls it twice)."""
    marker = "2147483647"
    pattern = reverse(name, args=[marker])
    return lambda pk: pattern.replace(marker, str(pk))


def pipeline(request):
    """Open deals as columns by stage, each with its count, total and weighted total; a statement per part,
    whatever the number of deals."""
    deal_filter = DealFilter(request.GET or None, queryset=Opportunity.objects.visible_to(request.user).open(),
                             user=request.user)  # fmt: skip
    deals = deal_filter.qs
    chosen = _filter_values(deal_filter).get("stage")
    active = Stage.objects.in_use()
    following = dict(zip(active, [*active[1:], None], strict=True))
    columns = {stage.pk: Column(stage, next_stage=following[stage]) for stage in active if chosen in (None, stage)}
    for row in _column_totals(deal_filter, deals, request.user):
        if row["stage"] in columns:
            column = columns[row["stage"]]
            column.count, column.total, column.weighted = row["count"], row["total"], row["weighted"]
    shown = [column.stage for column in columns.values() if column.count]
    cards = _first_cards(deals, shown, CARDS_IN_ONE_COLUMN if chosen else CARDS_PER_COLUMN)
    roles = {}
    for deal_id, role in Participant.objects.filter(opportunity__in=[card.pk for card in cards]).values_list(
        "opportunity_id", "role"
    ):
        roles.setdefault(deal_id, set()).add(role)
    now = timezone.now()
    influencers = {role: str(role.label) for role in BuyingRole.influencers()}  # translated once, not per card
    detail_path, move_path = _path_for_each("deals:detail"), _path_for_each("deals:move")
    for card in cards:
        column = columns[card.stage_id]
        card.detail_path, card.move_path = detail_path(card.pk), move_path(card.pk)
        card.days = card.days_in_stage(now)
        card.stuck = card.days > column.stage.usual_days
        card.missing_roles = [label for role, label in influencers.items() if role not in roles.get(card.pk, set())]
        card.can_move = can_work_deal(request.user, card)
        column.cards.append(card)
    stages = list(columns.values())
    totals = Column(stage=None, count=sum(c.count for c in stages), total=sum((c.total for c in stages), Decimal(0)),
                    weighted=sum((c.weighted for c in stages), Decimal(0)))  # fmt: skip
    return render(
        request,
        "deals/pipeline.html",
        {
            "filter": deal_filter,
            "columns": stages,
            "totals": totals,
            "stages": active,
            "filters_open": deal_filter.is_bound and bool(deal_filter.form.changed_data),
            "one_column": chosen is not None,
            "here": request.get_full_path(),
            "can_export": can_manage_people(request.user),
            "querystring": request.GET.urlencode(),
        },
    )


@manager_required
def deal_export(request, file_format):
    """The pipeline's deals, as its filters narrow them, as a spreadsheet the deal import reads back."""
    if file_format not in FORMATS:
        raise Http404
    deal_filter = DealFilter(request.GET or None, queryset=Opportunity.objects.visible_to(request.user).open(),
                             user=request.user)  # fmt: skip
    if deal_filter.is_bound and not deal_filter.is_valid():
        # An ignored filter would export more than was asked for: refuse instead.
        messages.error(request, _("Nothing was exported: a filter cannot be applied. Correct the filters."))
        back = f"{reverse('deals:pipeline')}?{request.GET.urlencode()}"
        return redirect(back if len(back) <= MAX_URL_REDIRECT_LENGTH else "deals:pipeline")
    deals = deal_filter.qs
    applied = {name: value for name, value in request.GET.items() if value.strip()}  # valid, so all applied
    row_count = deals.count()
    audit.record(
        AuditAction.EXPORT,
        request=request,
        summary=f"{_('Deals')} {file_format.upper()}: {row_count} · {urlencode(applied, doseq=True) or '—'}",
        detail={"format": file_format, "what": "deals", "filters": applied, "rows": row_count},
    )
    return deal_export_response(deals, file_format)


# --- one deal -------------------------------------------------------------------------------------------------


def _detail_context(request, opportunity, **forms):
    user = request.user
    can_work = can_work_deal(user, opportunity) and opportunity.is_open
    participants = list(opportunity.participants.select_related("contact"))
    lines = list(opportunity.lines.all())
    stages = Stage.objects.in_use()
    later = [stage for stage in stages if stage.order > opportunity.stage.order]
    next_stage = later[0] if later else None
    roles = {participant.role for participant in participants}
    missing = forms.pop("missing", None)
    if missing is None and next_stage:
        missing = opportunity.missing_for([next_stage], participants, bool(lines))
    can_override = can_override_requirements(user, opportunity)
    context = {
        "opportunity": opportunity,
        "customer": opportunity.customer,
        "lines": lines,
        "participants": participants,
        "coverage": [(role.label, role in roles) for role in BuyingRole.influencers()],
        "competitors": list(opportunity.competitors.all()),
        "history": opportunity.stage_changes.select_related("actor", "from_stage", "to_stage", "opportunity"),
        "visits": opportunity.visits.select_related("author").order_by("-started_at", "-pk")[:20],
        "stages": stages,
        "next_stage": next_stage,
        "missing": [Requirement(code).label for code in missing or []],
        "can_work": can_work,
        "can_override": can_override,
        "days_in_stage": opportunity.days_in_stage(),
    }
    if can_work:
        context |= {
            "move_form": MoveForm(opportunity=opportunity, can_override=can_override, initial={"to_stage": next_stage}),
            "line_form": LineForm(prefix="line"),
            "person_form": ParticipantForm(prefix="person", customer=opportunity.customer),
            "competitor_form": CompetitorForm(prefix="competitor"),
            "win_form": CloseForm(prefix="win", outcome=Outcome.WON),
            "lose_form": CloseForm(prefix="lose", outcome=Outcome.LOST),
            "abandon_form": CloseForm(prefix="abandon", outcome=Outcome.ABANDONED),
        }
    return context | forms


def deal_detail(request, pk):
    opportunity = _visible_deal(request, pk)
    return render(request, "deals/deal_detail.html", _detail_context(request, opportunity))


def _refused_on_page(request, opportunity, **forms):
    return render(request, "deals/deal_detail.html", _detail_context(request, opportunity, **forms), status=400)


def deal_create(request, customer_pk):
    """A new deal from the customer card, in the first stage at its probability."""
    customer = get_object_or_404(
        Customer.objects.visible_to(request.user).select_related("owner__team"), pk=customer_pk
    )
    if not can_create_deal(request.user, customer):
        raise PermissionDenied
    form = OpportunityForm(request.POST or None, instance=Opportunity(customer=customer), actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = opportunity_create(opportunity=form.save(commit=False), actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Deal created: add the equipment and the people involved."))
            return redirect("deals:detail", pk=opportunity.pk)
    return render(request, "deals/deal_form.html", {"form": form, "customer": customer})


def deal_edit(request, pk):
    opportunity = _workable_deal(request, pk)
    if not opportunity.is_open:
        raise Http404
    form = OpportunityForm(request.POST or None, instance=opportunity, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            opportunity_update(opportunity=form.save(commit=False), actor=request.user, changed=form.changed_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("deals:detail", pk=pk)
    return render(
        request, "deals/deal_form.html", {"form": form, "customer": opportunity.customer, "opportunity": opportunity}
    )


@require_POST
def part_add(request, pk, kind):
    """An equipment line, a person involved or a competitor, added on the deal page."""
    opportunity = _workable_deal(request, pk)
    model, form_class = PARTS[kind]
    extra = {"customer": opportunity.customer} if kind == "person" else {}
    form = form_class(request.POST, prefix=kind, instance=model(opportunity=opportunity), **extra)
    if form.is_valid():
        try:
            opportunity_part_save(part=form.save(commit=False), actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("deals:detail", pk=pk)
    return _refused_on_page(request, opportunity, **{f"{kind}_form": form})


@require_POST
def part_delete(request, pk, kind, part_pk):
    opportunity = _workable_deal(request, pk)
    model, _form = PARTS[kind]
    part = get_object_or_404(model, pk=part_pk, opportunity=opportunity)
    try:
        opportunity_part_delete(part=part, actor=request.user)
    except ValidationError as error:
        messages.error(request, refusal_text(error))
    return redirect("deals:detail", pk=pk)


@require_POST
def deal_move(request, pk):
    """Another stage. Refused forward moves list what is missing; a manager may pass with a reason."""
    opportunity = _workable_deal(request, pk)
    can_override = can_override_requirements(request.user, opportunity)
    form = MoveForm(request.POST, opportunity=opportunity, can_override=can_override)
    if form.is_valid():
        try:
            opportunity = opportunity_move(
                opportunity=opportunity, to_stage=form.cleaned_data["to_stage"], actor=request.user,
                reason=form.cleaned_data.get("reason", ""),
            )  # fmt: skip
        except RequirementsMissing as refusal:
            form.add_error(None, _("Not ready for this stage yet: see what is missing."))
            if can_override:
                form.add_error("reason", _("Write why the deal moves on without it."))
            return _refused_on_page(request, opportunity, move_form=form, missing=refusal.missing)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The deal is now in “%(stage)s”.") % {"stage": opportunity.stage.name})
            return redirect(safe_next(request, default=reverse("deals:detail", args=[pk])))
    return _refused_on_page(request, opportunity, move_form=form)


CLOSERS = {
    Outcome.WON: (opportunity_win, lambda: _("Won. The customer's purchases and grade follow.")),
    Outcome.LOST: (opportunity_lose, lambda: _("Marked lost.")),
    Outcome.ABANDONED: (opportunity_abandon, lambda: _("Marked abandoned.")),
}
PREFIX = {Outcome.WON: "win", Outcome.LOST: "lose", Outcome.ABANDONED: "abandon"}


@require_POST
def deal_close(request, pk, outcome):
    opportunity = _workable_deal(request, pk)
    prefix = PREFIX[outcome]
    form = CloseForm(request.POST, prefix=prefix, outcome=outcome)
    if form.is_valid():
        service, said = CLOSERS[outcome]
        extra = {"won_by": form.cleaned_data["won_by"]} if outcome == Outcome.LOST else {}
        try:
            service(opportunity=opportunity, actor=request.user, reason=form.cleaned_data["close_reason"],
                    note=form.cleaned_data["note"], **extra)  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, said())
            return redirect("deals:detail", pk=pk)
    return _refused_on_page(request, opportunity, **{f"{prefix}_form": form})
