"""claims' resources in the REST API: registering a customer (with the duplicate check, answered exactly as the
registration page answers), editing one (the same check on what the edit adds), the pool and its claim, disputes
and their decision, and the read-only ownership history. Every write through claims.services."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from crm.api.customers import (
    CUSTOMER_FIELDS,
    CustomerBriefSerializer,
    CustomerCardSerializer,
    CustomerSerializer,
    PersonSerializer,
    editable_customer,
    visible_customer,
)
from crm.api.errors import Conflict
from crm.api.serializers import Output
from crm.api.views import ApiView, DetailView, ListView, form_cleaned, form_data
from crm.models import Customer

from .dispute_forms import DisputeDecideForm
from .filters import PoolFilter
from .forms import CustomerEditForm, RegistrationForm
from .models import Dispute, DisputeState, OwnershipEvent
from .permissions import can_claim, can_decide_dispute, disputes_decidable_by
from .services import (
    RegistrationOutcome,
    claim_from_pool,
    claimable_from,
    customer_edit,
    customer_register,
    dispute_decide,
)
from .views.registration import match_rows as page_rows

# --- customers: the card and its edit ---------------------------------------------------------------------------


class ReferredById:
    """The pages pick the referring customer by name; the API by its id, among the customers the caller sees."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referred_by"] = forms.ModelChoiceField(
            queryset=Customer.objects.visible_to(self.actor).exclude(pk=self.instance.pk), required=False
        )


class ApiCustomerEditForm(ReferredById, CustomerEditForm):
    pass


class ApiRegistrationForm(ReferredById, RegistrationForm):
    pass


class CustomerInputSerializer(serializers.ModelSerializer):
    """The shape of a customer as typed; the registration and edit forms judge the rest."""

    referred_by = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        extra_kwargs = {"credit_code": {"validators": []}}  # a registered code is the duplicate check's to answer


class CustomerEditSerializer(CustomerInputSerializer):
    confirmed_new = serializers.BooleanField(default=False, help_text="None of the similar names is this company.")

    class Meta(CustomerInputSerializer.Meta):
        fields = [*CUSTOMER_FIELDS, "confirmed_new"]


class MatchSerializer(serializers.Serializer):
    customer = CustomerBriefSerializer()
    reasons = serializers.ListField(child=serializers.CharField())
    strong = serializers.BooleanField()
    visible = serializers.BooleanField(help_text="The caller may open its card.")
    claimable = serializers.BooleanField()
    claimable_from = serializers.DateField(allow_null=True)


def match_rows(user, matches):
    """What the duplicate check may show of each match, as the registration page shows it."""
    return [{**row, "reasons": [str(reason) for reason in row["reasons"]]} for row in page_rows(user, matches)]


def _refused(outcome, registration, user):
    """A registration or edit that saved nothing: 409, saying why and what exists, as the page shows it."""
    customer = registration.customer
    extra = {"matches": MatchSerializer(match_rows(user, registration.matches), many=True).data}
    if customer is not None:
        extra["customer"] = CustomerBriefSerializer(customer).data
    if outcome == RegistrationOutcome.COLLISION:
        extra["dispute"] = registration.dispute.pk
        raise Conflict(
            _("Another rep holds “%(name)s” under protection: a dispute was opened, and they keep it meanwhile.")
            % {"name": customer.name},
            "collision",
            extra,
        )
    if outcome == RegistrationOutcome.POOL:
        opens = claimable_from(customers=[customer], rep=user).get(customer.pk) if can_claim(user) else None
        extra["claimable_from"] = opens.isoformat() if opens else None
        raise Conflict(
            _("“%(name)s” is in the shared pool: claim it instead (POST /api/v1/pool/%(id)s/claim/).")
            % {"name": customer.name, "id": customer.pk},
            "in_pool",
            extra,
        )
    raise Conflict(
        _("Similar customers exist. If none is the same company, send again with confirmed_new; if one is, "
          "send its id as same_as."),
        "similar",
        extra,
    )  # fmt: skip


CONFLICTS = OpenApiResponse(
    description="Nothing saved: `code` is collision (a dispute was opened: `dispute`), in_pool (claim `customer` "
    "instead) or similar (`matches`: confirm with confirmed_new or same_as); or ownership_refused (a rule, "
    "e.g. the holding limit)."
)


@extend_schema(
    methods=["GET"], summary="A customer's card, with contacts and buying roles", responses=CustomerCardSerializer
)
@extend_schema(
    methods=["PATCH"],
    summary="Change a customer (a new name, credit code, group or phone runs the duplicate check)",
    request=CustomerEditSerializer,
    responses={200: CustomerCardSerializer, 409: CONFLICTS},
)
class CustomerDetail(ApiView, generics.GenericAPIView):
    serializer_class = CustomerCardSerializer
    http_method_names = ["get", "patch", "options"]

    def get(self, request, pk):
        queryset = Customer.objects.select_related("owner").prefetch_related("contacts")
        return Response(CustomerCardSerializer(visible_customer(request, pk, queryset)).data)

    def patch(self, request, pk):
        customer = editable_customer(request, pk)
        shape = CustomerEditSerializer(data=request.data, partial=True)
        shape.is_valid(raise_exception=True)
        typed = dict(shape.validated_data)
        confirmed_new = typed.pop("confirmed_new", False)
        form = ApiCustomerEditForm(form_data(typed, customer, CUSTOMER_FIELDS), instance=customer, actor=request.user)
        form_cleaned(form)
        edit = customer_edit(customer=form.save(commit=False), actor=request.user, confirmed_new=confirmed_new)
        if edit.outcome != RegistrationOutcome.SAVED:
            _refused(edit.outcome, edit, request.user)
        return self.get(request, pk)


# --- registration -----------------------------------------------------------------------------------------------


class RegistrationSerializer(CustomerInputSerializer):
    confirmed_new = serializers.BooleanField(default=False, help_text="None of the similar names is this company.")
    same_as = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
        help_text="A similar name's customer id: it is this company.",
    )  # fmt: skip
    introducer_came_along = serializers.BooleanField(default=False)
    asked_for = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
        help_text="The rep the referred customer asked for (a user id).",
    )  # fmt: skip

    class Meta(CustomerInputSerializer.Meta):
        fields = [*CUSTOMER_FIELDS, "confirmed_new", "same_as", "introducer_came_along", "asked_for"]
        extra_kwargs = {
            **CustomerInputSerializer.Meta.extra_kwargs,
            "phones": {"required": True},
            "need": {"required": True},
        }


class RegistrationAnswerSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["created", "own", "visible"])
    customer = CustomerSerializer(help_text="The customer registered, or the one already held (own, visible).")


@extend_schema(
    summary="Register a customer: the duplicate check first, then the customer and its first claim",
    request=RegistrationSerializer,
    responses={
        201: RegistrationAnswerSerializer,
        200: OpenApiResponse(
            RegistrationAnswerSerializer,
            description="The caller holds it (own) or sees its card (visible, a manager): nothing new was made.",
        ),  # fmt: skip
        409: CONFLICTS,
    },
)
class Registration(ApiView, generics.GenericAPIView):
    serializer_class = RegistrationSerializer

    def post(self, request):
        user = request.user
        shape = RegistrationSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = dict(shape.validated_data)
        answers = {name: data.pop(name, None) for name in ("confirmed_new", "same_as")}
        form = ApiRegistrationForm(form_data(data, Customer(), CUSTOMER_FIELDS), actor=user)
        cleaned = form_cleaned(form)
        registration = customer_register(
            customer=form.save(commit=False),
            actor=user,
            confirmed_new=bool(answers["confirmed_new"]),
            introducer_came_along=cleaned["introducer_came_along"],
            asked_for=cleaned["asked_for"],
            same_as=answers["same_as"],
        )
        outcome, customer = registration.outcome, registration.customer
        if outcome == RegistrationOutcome.CREATED:
            if not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
                # A referral that went to another team's rep: the page too only says whose it is.
                return Response(
                    {"outcome": outcome.value, "customer": CustomerBriefSerializer(customer).data},
                    status=status.HTTP_201_CREATED,
                )
            return Response(
                {"outcome": outcome.value, "customer": CustomerSerializer(customer).data},
                status=status.HTTP_201_CREATED,
            )
        if outcome in (RegistrationOutcome.OWN, RegistrationOutcome.VISIBLE):
            return Response({"outcome": outcome.value, "customer": CustomerSerializer(customer).data})
        _refused(outcome, registration, user)


# --- the pool ---------------------------------------------------------------------------------------------------


class PoolCustomerSerializer(CustomerSerializer):
    claimable_from = serializers.DateField(
        allow_null=True, read_only=True, help_text="The first day the caller may claim it, when not today."
    )

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "claimable_from"]
        read_only_fields = fields


class PoolList(ListView):
    """Unowned customers (公海), newest first, filtered as on the pool page."""

    model = Customer
    serializer_class = PoolCustomerSerializer
    filterset_class = PoolFilter
    ordering = "-pk"

    def visible(self):
        return Customer.objects.filter(owner__isnull=True).select_related("owner")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        opens = claimable_from(customers=page, rep=request.user) if can_claim(request.user) else {}
        for customer in page:
            customer.claimable_from = opens.get(customer.pk)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ClaimAnswerSerializer(serializers.Serializer):
    customer = CustomerSerializer()
    protected_until = serializers.DateField()


@extend_schema(
    summary="Claim a customer from the pool: first come, first served, within the pool's rules",
    request=None,
    responses={200: ClaimAnswerSerializer, 409: CONFLICTS},
)
class ClaimFromPool(ApiView, generics.GenericAPIView):
    serializer_class = ClaimAnswerSerializer

    def post(self, request, pk):
        # Any customer, as the pool page: a rep a moment too late learns who took it (a 409 naming the holder).
        customer = get_object_or_404(Customer, pk=pk)
        claim = claim_from_pool(customer=customer, actor=request.user)
        customer.refresh_from_db()
        return Response({"customer": CustomerSerializer(customer).data, "protected_until": claim.protected_until})


# --- disputes ---------------------------------------------------------------------------------------------------


class DisputeSerializer(Output):
    customer = CustomerBriefSerializer(read_only=True)
    holder = PersonSerializer(read_only=True, allow_null=True)
    challenger = PersonSerializer(read_only=True)
    decided_by = PersonSerializer(read_only=True, allow_null=True)
    may_decide = serializers.BooleanField(read_only=True, help_text="The caller may decide it.")

    class Meta:
        model = Dispute
        fields = [
            "id", "customer", "kind", "state", "holder", "challenger", "opened_at", "statement", "team",
            "arbiter_reason", "outcome", "holder_share", "challenger_share", "decided_by", "decided_at", "reason",
            "may_decide",
        ]  # fmt: skip
        read_only_fields = fields


def visible_disputes(user):
    return (
        Dispute.objects.visible_to(user)
        .select_related("customer__owner", "holder", "challenger", "decided_by")
        .annotate(may_decide=Exists(disputes_decidable_by(user).open().filter(pk=OuterRef("pk"))))
    )


@extend_schema(parameters=[OpenApiParameter("state", enum=["open", "decided"], description="Open or decided only.")])
class DisputeList(ListView):
    """The disputes the caller sees (their own; a manager's team's; every one for an admin), oldest first."""

    model = Dispute
    serializer_class = DisputeSerializer
    ordering = "pk"

    def visible(self):
        disputes = visible_disputes(self.request.user)
        state = self.request.query_params.get("state")
        return disputes.filter(state=state) if state in ("open", "decided") else disputes


class DisputeDetail(DetailView):
    model = Dispute
    serializer_class = DisputeSerializer

    def visible(self):
        return visible_disputes(self.request.user)


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["keep", "transfer", "split", "pool"])
    holder_share = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=99)
    reason = serializers.CharField(max_length=10_000)


@extend_schema(
    summary="Decide a dispute (its team's manager, or an admin; never a party)",
    request=DecisionSerializer,
    responses={200: DisputeSerializer, 409: CONFLICTS},
)
class DisputeDecide(ApiView, generics.GenericAPIView):
    serializer_class = DecisionSerializer

    def post(self, request, pk):
        dispute = get_object_or_404(visible_disputes(request.user), pk=pk)
        if dispute.state == DisputeState.OPEN and not can_decide_dispute(request.user, dispute):
            raise PermissionDenied  # as the dispute page: parties included (the service would refuse them too)
        shape = DecisionSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        decision = form_cleaned(DisputeDecideForm(form_data(shape.validated_data)))
        dispute_decide(
            dispute=dispute,
            actor=request.user,
            outcome=decision["outcome"],
            reason=decision["reason"],
            holder_share=decision["holder_share"],
        )
        return Response(DisputeSerializer(get_object_or_404(visible_disputes(request.user), pk=pk)).data)


# --- ownership history ------------------------------------------------------------------------------------------


class OwnershipEventSerializer(Output):
    actor = PersonSerializer(read_only=True, allow_null=True)
    from_user = PersonSerializer(read_only=True, allow_null=True)
    to_user = PersonSerializer(read_only=True, allow_null=True)
    reason = serializers.CharField(source="shown_reason", read_only=True, help_text="In the caller's language.")

    class Meta:
        model = OwnershipEvent
        fields = ["id", "at", "kind", "actor", "from_user", "to_user", "protected_until", "reason", "dispute"]
        read_only_fields = fields


class OwnershipHistory(ListView):
    """Every change of a customer's owner, newest first: append-only, read-only."""

    model = OwnershipEvent
    serializer_class = OwnershipEventSerializer
    ordering = "-pk"

    def visible(self):
        customer = visible_customer(self.request, self.kwargs["pk"])
        return OwnershipEvent.objects.filter(customer=customer).select_related(
            "actor", "from_user", "to_user", "dispute__holder", "dispute__challenger"
        )


urlpatterns = [
    path("customers/register/", Registration.as_view(), name="register"),
    path("customers/<int:pk>/", CustomerDetail.as_view(), name="customer_detail"),
    path("customers/<int:pk>/history/", OwnershipHistory.as_view(), name="ownership_history"),
    path("pool/", PoolList.as_view(), name="pool"),
    path("pool/<int:pk>/claim/", ClaimFromPool.as_view(), name="claim"),
    path("disputes/", DisputeList.as_view(), name="dispute_list"),
    path("disputes/<int:pk>/", DisputeDetail.as_view(), name="dispute_detail"),
    path("disputes/<int:pk>/decide/", DisputeDecide.as_view(), name="dispute_decide"),
]
