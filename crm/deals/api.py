"""Deals in the REST API: the pipeline's deals (its filters), a deal with its lines, people, competitors and stage
history, opening one on a customer, changing it, moving it along and closing it, through the deal forms' rules and
deals.services. A forward move the deal is not ready for is a 409 `requirements_missing` listing what it lacks."""

import django_filters
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from crm.api.customers import CustomerBriefSerializer, PersonSerializer, editable_customer, visible_customer
from crm.api.errors import Conflict
from crm.api.serializers import Output
from crm.api.views import ApiView, ListCreateView, ListView, form_cleaned, form_data

from .filters import DealFilter, MonthFilter
from .forms import CloseForm, MoveForm, OpportunityForm
from .models import CloseReason, Competitor, Opportunity, OpportunityLine, Outcome, Participant, Stage, StageChange
from .models import Status as DealStatus
from .permissions import can_override_requirements, can_work_deal
from .services import (
    RequirementsMissing,
    opportunity_abandon,
    opportunity_create,
    opportunity_lose,
    opportunity_move,
    opportunity_update,
    opportunity_win,
)

ID = {"min_value": 1, "max_value": 2**63 - 1}


class StageSerializer(Output):
    name = serializers.CharField(read_only=True, help_text="In the caller's language.")

    class Meta:
        model = Stage
        fields = ["id", "name", "order", "probability"]
        read_only_fields = fields


class CloseReasonSerializer(Output):
    name = serializers.CharField(read_only=True, help_text="In the caller's language.")

    class Meta:
        model = CloseReason
        fields = ["id", "outcome", "name"]
        read_only_fields = fields


class LineSerializer(Output):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = OpportunityLine
        fields = ["id", "product", "model", "quantity", "unit_price", "amount"]
        read_only_fields = fields


class ParticipantSerializer(Output):
    name = serializers.CharField(source="contact.name", read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "contact", "name", "role"]
        read_only_fields = fields


class CompetitorSerializer(Output):
    class Meta:
        model = Competitor
        fields = ["id", "name", "offer", "strengths"]
        read_only_fields = fields


class StageChangeSerializer(Output):
    actor = PersonSerializer(read_only=True)
    from_stage = StageSerializer(read_only=True, allow_null=True)
    to_stage = StageSerializer(read_only=True)
    passed_over = serializers.ListField(child=serializers.CharField(), read_only=True,
                                        help_text="Requirement codes a manager moved past.")  # fmt: skip

    class Meta:
        model = StageChange
        fields = ["id", "at", "actor", "from_stage", "to_stage", "status", "days_in_previous", "passed_over", "reason"]
        read_only_fields = fields


DEAL_FIELDS = [
    "id", "customer", "title", "stage", "stage_entered_at", "probability", "status", "expected_close_on", "amount",
    "need_confirmed", "quote_amount", "quote_on", "delivery_on", "next_step", "next_step_due", "next_step_owner",
    "close_reason", "won_by", "close_note", "closed_on", "notes", "created_at", "updated_at",
]  # fmt: skip


class OpportunitySerializer(Output):
    customer = CustomerBriefSerializer(read_only=True)
    stage = StageSerializer(read_only=True)
    next_step_owner = PersonSerializer(read_only=True, allow_null=True)
    close_reason = CloseReasonSerializer(read_only=True, allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True,
                                      help_text="The sum of the equipment lines (CNY).")  # fmt: skip

    class Meta:
        model = Opportunity
        fields = DEAL_FIELDS
        read_only_fields = fields


class OpportunityDetailSerializer(OpportunitySerializer):
    lines = LineSerializer(many=True, read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True, help_text="The people involved, by buying role.")
    competitors = CompetitorSerializer(many=True, read_only=True)
    history = StageChangeSerializer(source="stage_changes", many=True, read_only=True, help_text="Oldest first.")

    class Meta(OpportunitySerializer.Meta):
        fields = [*DEAL_FIELDS, "lines", "participants", "competitors", "history"]
        read_only_fields = fields


class OpportunityInputSerializer(serializers.ModelSerializer):
    next_step_owner = serializers.IntegerField(
        required=False, allow_null=True, **ID, help_text="Someone you may hand work to; on a new deal, empty: you."
    )

    class Meta:
        model = Opportunity
        fields = OpportunityForm.Meta.fields
        extra_kwargs = {"probability": {"required": False, "allow_null": True, "help_text": "Empty: the stage's."}}


class MoveSerializer(serializers.Serializer):
    to_stage = serializers.IntegerField(**ID, help_text="A stage in use.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500,
                                   help_text="A manager moving past missing requirements: why.")  # fmt: skip


class CloseSerializer(serializers.Serializer):
    close_reason = serializers.IntegerField(
        required=False, allow_null=True, **ID, help_text="One of the reasons for this outcome (needed to lose)."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class LoseSerializer(CloseSerializer):
    won_by = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                   help_text="The competitor who won, when known.")  # fmt: skip


def visible_deals(user):
    return Opportunity.objects.visible_to(user).select_related(
        "customer__owner__team", "stage", "next_step_owner", "close_reason"
    )


def detailed(queryset):
    return queryset.prefetch_related(
        "lines", "participants__contact", "competitors",
        *[f"stage_changes__{name}" for name in ("actor", "from_stage", "to_stage")],
    )  # fmt: skip


def workable_deal(request, pk):
    """As the pages: 404 for a deal the caller cannot see, 403 for one they only see."""
    opportunity = get_object_or_404(visible_deals(request.user), pk=pk)
    if not can_work_deal(request.user, opportunity):
        raise PermissionDenied
    return opportunity


def _detail(request, pk, status_code=status.HTTP_200_OK):
    return Response(OpportunityDetailSerializer(detailed(visible_deals(request.user)).get(pk=pk)).data,
                    status=status_code)  # fmt: skip


@extend_schema_field(OpenApiTypes.STR)
class ApiMonthFilter(MonthFilter):
    """A month, 2026-03."""


class ApiDealFilter(DealFilter):
    """The pipeline's filters, and the status (the pipeline shows the open deals; the API every one)."""

    close_month = ApiMonthFilter(label=gettext_lazy("Closing in"))
    status = django_filters.ChoiceFilter(choices=DealStatus.choices)


class DealList(ListView):
    """The deals the caller sees, newest first, filtered as on the pipeline (and by status)."""

    model = Opportunity
    serializer_class = OpportunitySerializer
    filterset_class = ApiDealFilter
    ordering = "-pk"

    def visible(self):
        return visible_deals(self.request.user)


@extend_schema_view(
    get=extend_schema(summary="A customer's deals, newest first"),
    post=extend_schema(summary="Open a deal on a held customer, in the first stage",
                       request=OpportunityInputSerializer, responses={201: OpportunityDetailSerializer}),
)  # fmt: skip
class CustomerDeals(ListCreateView):
    model = Opportunity
    serializer_class = OpportunitySerializer
    ordering = "-pk"

    def visible(self):
        return visible_deals(self.request.user).filter(customer=visible_customer(self.request, self.kwargs["pk"]))

    def create(self, request, *args, **kwargs):
        customer = editable_customer(request, kwargs["pk"])
        shape = OpportunityInputSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        typed = {"next_step_owner": request.user.pk, **shape.validated_data}
        opportunity = Opportunity(customer=customer)
        form = OpportunityForm(form_data(typed), instance=opportunity, actor=request.user)
        form_cleaned(form)
        opportunity = opportunity_create(opportunity=form.save(commit=False), actor=request.user)
        return _detail(request, opportunity.pk, status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], summary="A deal, with its equipment, people, competitors and stage history",
               responses=OpportunityDetailSerializer)  # fmt: skip
@extend_schema(methods=["PATCH"], summary="Change an open deal (its stage and status change through their steps)",
               request=OpportunityInputSerializer, responses=OpportunityDetailSerializer)  # fmt: skip
class DealDetail(ApiView, generics.GenericAPIView):
    serializer_class = OpportunityDetailSerializer
    http_method_names = ["get", "patch", "options"]

    def get(self, request, pk):
        get_object_or_404(visible_deals(request.user), pk=pk)
        return _detail(request, pk)

    def patch(self, request, pk):
        opportunity = workable_deal(request, pk)
        shape = OpportunityInputSerializer(data=request.data, partial=True)
        shape.is_valid(raise_exception=True)
        form = OpportunityForm(form_data(shape.validated_data, opportunity, OpportunityForm.Meta.fields),
                               instance=opportunity, actor=request.user)  # fmt: skip
        form_cleaned(form)
        opportunity_update(opportunity=form.save(commit=False), actor=request.user, changed=form.changed_data)
        return _detail(request, pk)


MISSING = OpenApiResponse(
    description="Nothing moved: `code` is requirements_missing, `missing` the requirement codes the deal lacks "
    "for the stages it would enter, `may_override` whether the caller (a manager) may move past them with a reason."
)


@extend_schema(summary="Move an open deal to another stage (forward: every requirement met, or a manager's reason)",
               request=MoveSerializer, responses={200: OpportunityDetailSerializer, 409: MISSING})  # fmt: skip
class DealMove(ApiView, generics.GenericAPIView):
    serializer_class = MoveSerializer

    def post(self, request, pk):
        opportunity = workable_deal(request, pk)
        shape = MoveSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        can_override = can_override_requirements(request.user, opportunity)
        form = MoveForm(form_data(shape.validated_data), opportunity=opportunity, can_override=can_override)
        cleaned = form_cleaned(form)
        try:
            opportunity_move(opportunity=opportunity, to_stage=cleaned["to_stage"], actor=request.user,
                             reason=cleaned.get("reason", ""))  # fmt: skip
        except RequirementsMissing as refusal:
            detail = " ".join(refusal.messages)
            if refusal.may_override:
                detail += " " + _("Write why the deal moves on without it.")
            raise Conflict(detail, "requirements_missing",
                           {"missing": refusal.missing, "may_override": refusal.may_override}) from None  # fmt: skip
        return _detail(request, pk)


CLOSERS = {Outcome.WON: opportunity_win, Outcome.LOST: opportunity_lose, Outcome.ABANDONED: opportunity_abandon}


class DealClose(ApiView, generics.GenericAPIView):
    outcome = None
    serializer_class = CloseSerializer

    def post(self, request, pk):
        opportunity = workable_deal(request, pk)
        shape = self.serializer_class(data=request.data)
        shape.is_valid(raise_exception=True)
        cleaned = form_cleaned(CloseForm(form_data(shape.validated_data), outcome=self.outcome))
        extra = {"won_by": cleaned["won_by"]} if self.outcome == Outcome.LOST else {}
        CLOSERS[self.outcome](opportunity=opportunity, actor=request.user, reason=cleaned["close_reason"],
                              note=cleaned["note"], **extra)  # fmt: skip
        return _detail(request, pk)


@extend_schema(summary="Win a deal: a purchase of its amount on the customer, whose annual purchases and grade follow",
               request=CloseSerializer, responses=OpportunityDetailSerializer)  # fmt: skip
class DealWin(DealClose):
    outcome = Outcome.WON


@extend_schema(summary="Lose a deal, with a reason and the competitor who won",
               request=LoseSerializer, responses=OpportunityDetailSerializer)  # fmt: skip
class DealLose(DealClose):
    outcome = Outcome.LOST
    serializer_class = LoseSerializer


@extend_schema(summary="Abandon a deal, with a reason or a note", request=CloseSerializer,
               responses=OpportunityDetailSerializer)  # fmt: skip
class DealAbandon(DealClose):
    outcome = Outcome.ABANDONED


urlpatterns = [
    path("deals/", DealList.as_view(), name="deal_list"),
    path("deals/<int:pk>/", DealDetail.as_view(), name="deal_detail"),
    path("deals/<int:pk>/move/", DealMove.as_view(), name="deal_move"),
    path("deals/<int:pk>/win/", DealWin.as_view(), name="deal_win"),
    path("deals/<int:pk>/lose/", DealLose.as_view(), name="deal_lose"),
    path("deals/<int:pk>/abandon/", DealAbandon.as_view(), name="deal_abandon"),
    path("customers/<int:pk>/deals/", CustomerDeals.as_view(), name="customer_deals"),
]
