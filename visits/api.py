"""visits' resources in the REST API: a customer's visits (list, log) and the caller's day (their follow-ups).

Logging goes through the visit form's rules and `visit_record`, as the page and the phone's offline queue do
(with the position of an "I'm here" tap, if the client sends one); a
`client_id` (idempotency key, Visit.client_id) makes a retry safe: a visit sent again with the same id is answered
with the visit recorded the first time (200), whoever holds the customer by then."""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from crm.api.customers import PersonSerializer, editable_customer, visible_customer
from crm.api.serializers import Output
from crm.api.views import ApiView, ListCreateView, form_cleaned, form_data
from crm.models import Customer

from .checkin import CheckinForm
from .day import day_sections
from .forms import VisitForm
from .models import ObjectionKind, Reminder, Visit
from .services import AlreadyRecorded, recorded_visit, visit_record


class ObjectionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ObjectionKind.choices)
    text = serializers.CharField(max_length=255)


class VisitSerializer(Output):
    author = PersonSerializer(read_only=True)
    objections = ObjectionSerializer(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id", "customer", "author", "method", "started_at", "ended_at", "contacts", "purpose", "discussion",
            "needs", "commitments", "next_step", "next_step_due", "next_step_owner", "help_needed", "objections",
            "logged_at", "is_late", "client_id", "deal",
        ]  # fmt: skip
        read_only_fields = fields


class VisitInputSerializer(serializers.ModelSerializer):
    """The shape of a visit log; the visit form's rules judge it (no start in the future, a next step's date...)."""

    contacts = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False)
    next_step_owner = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    deal = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
        help_text="The customer's open deal the visit was about.",
    )  # fmt: skip
    objection_kind = serializers.ChoiceField(choices=ObjectionKind.choices, required=False, allow_blank=True)
    objection_text = serializers.CharField(max_length=255, required=False, allow_blank=True)
    client_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Made by the client once per visit: a retry with it is one visit."
    )
    # The "I'm here" tap of an on-site or showroom visit, as the form's hidden fields carry it. A malformed or
    # stale position is no check-in, never a refusal (a position is a fact for the manager).
    checkin_lat = serializers.DecimalField(max_digits=12, decimal_places=8, required=False, allow_null=True)
    checkin_lng = serializers.DecimalField(max_digits=12, decimal_places=8, required=False, allow_null=True)
    checkin_accuracy = serializers.IntegerField(required=False, allow_null=True, help_text="Metres.")
    checkin_at = serializers.DateTimeField(required=False, allow_null=True, help_text="When the rep tapped.")

    class Meta:
        model = Visit
        fields = [
            "method", "started_at", "ended_at", "contacts", "purpose", "discussion", "needs", "commitments",
            "next_step", "next_step_due", "next_step_owner", "help_needed", "objection_kind", "objection_text",
            "client_id", "checkin_lat", "checkin_lng", "checkin_accuracy", "checkin_at", "deal",
        ]  # fmt: skip


CHECKIN_FIELDS = ("checkin_lat", "checkin_lng", "checkin_accuracy", "checkin_at")


def _visits_shown():
    return Visit.objects.select_related("author").prefetch_related("contacts", "objections")


@extend_schema_view(
    get=extend_schema(summary="A customer's visits, newest first"),
    post=extend_schema(
        summary="Log a visit",
        request=VisitInputSerializer,
        responses={
            201: VisitSerializer,
            200: OpenApiResponse(VisitSerializer, description="Sent before with this client_id: the first visit."),
        },
    ),
)
class CustomerVisits(ListCreateView):
    model = Visit
    serializer_class = VisitSerializer
    ordering = ("-started_at", "-pk")

    def visible(self):
        return _visits_shown().filter(customer=visible_customer(self.request, self.kwargs["pk"]))

    def create(self, request, *args, **kwargs):
        shape = VisitInputSerializer(data=request.data)
        client_id = shape.validated_data.get("client_id") if shape.is_valid() else None
        earlier = recorded_visit(request.user, client_id)
        if earlier is not None:  # a retry: answered whoever holds the customer by now, as the page answers it
            return Response(VisitSerializer(earlier).data)
        customer = editable_customer(request, kwargs["pk"])  # 404 or 403 before anything typed is judged
        shape.is_valid(raise_exception=True)
        typed = shape.validated_data
        form = VisitForm(form_data(typed, Visit(), ["method"]), customer=customer, actor=request.user)
        cleaned = form_cleaned(form)
        visit = form.save(commit=False)
        visit.customer, visit.client_id = customer, client_id
        position = CheckinForm({name: typed[name] for name in CHECKIN_FIELDS if typed.get(name) is not None})
        try:
            visit_record(
                visit=visit, actor=request.user, contacts=cleaned["contacts"], objections=form.objections(),
                check_in=position.position(),
            )  # fmt: skip
        except AlreadyRecorded as answer:  # the same id sent twice at once: the other request recorded it
            return Response(VisitSerializer(answer.visit).data)
        return Response(VisitSerializer(_visits_shown().get(pk=visit.pk)).data, status=status.HTTP_201_CREATED)


class ReminderSerializer(Output):
    class Meta:
        model = Reminder
        fields = ["id", "kind", "due_on", "note"]
        read_only_fields = fields


class DayCustomerSerializer(Output):
    class Meta:
        model = Customer
        fields = ["id", "name", "grade"]
        read_only_fields = fields


class DayRowSerializer(serializers.Serializer):
    customer = DayCustomerSerializer()
    due_on = serializers.DateField()
    reminders = ReminderSerializer(many=True)
    call = serializers.SerializerMethodField(help_text="The number to call (digits only) and whose it is.")

    def get_call(self, row) -> dict | None:
        if row.call is None:
            return None
        contact = row.call.contact
        return {"number": row.call.number, "contact": contact.pk if contact else None}


class DaySerializer(serializers.Serializer):
    overdue = DayRowSerializer(many=True)
    today = DayRowSerializer(many=True)
    week = DayRowSerializer(many=True)


@extend_schema(
    summary="My day: the caller's open follow-ups, overdue, today and the next 7 days", responses=DaySerializer
)
class Day(ApiView, generics.GenericAPIView):
    serializer_class = DaySerializer
    pagination_class = None

    def get(self, request):
        return Response(DaySerializer(day_sections(request.user)).data)


urlpatterns = [
    path("customers/<int:pk>/visits/", CustomerVisits.as_view(), name="customer_visits"),
    path("day/", Day.as_view(), name="day"),
]
