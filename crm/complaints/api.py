"""Complaints in the REST API: the list (the list page's filters), recording one on a customer, a complaint with its
history, and the workflow's steps, through the complaint forms' rules and complaints.services."""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from crm.api.customers import CustomerBriefSerializer, PersonSerializer, visible_customer
from crm.api.serializers import Output
from crm.api.views import ApiView, DetailView, ListCreateView, ListView, form_cleaned, form_data

from .filters import ComplaintFilter
from .forms import ComplaintForm, ComplaintStepForm
from .models import Complaint, ComplaintEvent, State
from .services import complaint_move, complaint_record


class ComplaintEventSerializer(Output):
    actor = PersonSerializer(read_only=True, allow_null=True)
    note = serializers.CharField(source="note_display", read_only=True, help_text="In the caller's language.")

    class Meta:
        model = ComplaintEvent
        fields = ["id", "at", "from_state", "to_state", "actor", "note"]
        read_only_fields = fields


COMPLAINT_FIELDS = [
    "id", "customer", "received_at", "complainant", "complainant_name", "phone", "description", "reference",
    "category", "severity", "root_cause", "resolution_actions", "customer_response", "improvement_measures",
    "assignee", "state", "respond_by", "responded_at", "created_at",
]  # fmt: skip


class ComplaintSerializer(Output):
    customer = CustomerBriefSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True)

    class Meta:
        model = Complaint
        fields = COMPLAINT_FIELDS
        read_only_fields = fields


class ComplaintDetailSerializer(ComplaintSerializer):
    events = ComplaintEventSerializer(many=True, read_only=True)
    allowed_states = serializers.SerializerMethodField(help_text="The steps it may take next.")

    class Meta(ComplaintSerializer.Meta):
        fields = [*COMPLAINT_FIELDS, "events", "allowed_states"]
        read_only_fields = fields

    def get_allowed_states(self, complaint) -> list[str]:
        return [str(state) for state in complaint.allowed_states()]


class ComplaintInputSerializer(serializers.ModelSerializer):
    complainant = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1, help_text="One of the customer's contacts."
    )
    assignee = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1, help_text="Empty: the customer's owner."
    )

    class Meta:
        model = Complaint
        fields = [
            "received_at", "complainant", "complainant_name", "phone", "description", "reference", "category",
            "severity", "root_cause", "resolution_actions", "improvement_measures", "assignee",
        ]  # fmt: skip


def visible_complaints(user):
    return Complaint.objects.visible_to(user).select_related("customer__owner", "assignee")


class ComplaintList(ListView):
    """The complaints the caller sees, newest first, filtered as on the complaint list."""

    model = Complaint
    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter
    ordering = "-pk"

    def visible(self):
        return visible_complaints(self.request.user)


@extend_schema_view(
    get=extend_schema(summary="A customer's complaints, newest first"),
    post=extend_schema(
        summary="Record a complaint", request=ComplaintInputSerializer, responses={201: ComplaintSerializer}
    ),
)
class CustomerComplaints(ListCreateView):
    model = Complaint
    serializer_class = ComplaintSerializer
    ordering = "-pk"

    def visible(self):
        return visible_complaints(self.request.user).filter(customer=visible_customer(self.request, self.kwargs["pk"]))

    def create(self, request, *args, **kwargs):
        customer = visible_customer(request, kwargs["pk"])
        shape = ComplaintInputSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        complaint = Complaint(customer=customer)
        form = ComplaintForm(
            form_data(shape.validated_data, complaint, ["received_at", "severity"]),
            instance=complaint,
            customer=customer,
            actor=request.user,
        )
        cleaned = form_cleaned(form)
        complaint = form.save(commit=False)
        if cleaned["assignee"]:
            complaint.assignee = cleaned["assignee"]
        complaint_record(complaint=complaint, actor=request.user)
        return Response(ComplaintSerializer(complaint).data, status=status.HTTP_201_CREATED)


class ComplaintDetail(DetailView):
    model = Complaint
    serializer_class = ComplaintDetailSerializer

    def visible(self):
        return visible_complaints(self.request.user).prefetch_related("events__actor")


class StepSerializer(serializers.Serializer):
    to_state = serializers.ChoiceField(choices=State.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, help_text="Needed to reopen.")
    resolution_actions = serializers.CharField(required=False, allow_blank=True, help_text="Needed to resolve.")
    customer_response = serializers.CharField(required=False, allow_blank=True, help_text="Needed to close.")


@extend_schema(summary="Take a workflow step (investigating, resolved, closed, or back to open)",
               request=StepSerializer, responses=ComplaintDetailSerializer)  # fmt: skip
class ComplaintStep(ApiView, generics.GenericAPIView):
    serializer_class = StepSerializer

    def post(self, request, pk):
        complaint = get_object_or_404(visible_complaints(request.user), pk=pk)
        shape = StepSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        form = ComplaintStepForm(form_data(shape.validated_data), complaint=complaint)
        cleaned = form_cleaned(form)
        complaint_move(
            complaint=complaint,
            actor=request.user,
            to_state=shape.validated_data["to_state"],
            note=cleaned["note"],
            fields=form.step_fields,
        )
        return Response(
            ComplaintDetailSerializer(
                visible_complaints(request.user).prefetch_related("events__actor").get(pk=pk)
            ).data
        )


urlpatterns = [
    path("complaints/", ComplaintList.as_view(), name="complaint_list"),
    path("complaints/<int:pk>/", ComplaintDetail.as_view(), name="complaint_detail"),
    path("complaints/<int:pk>/steps/", ComplaintStep.as_view(), name="complaint_step"),
    path("customers/<int:pk>/complaints/", CustomerComplaints.as_view(), name="customer_complaints"),
]
