"""crm's resources: customers (the list with the list page's filters and search; the card) and their contacts with
buying roles. Registering and editing a customer run the duplicate check, so they live in claims.api, as the
pages do in claims.views."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from accounts.models import User

from ..filters import CustomerFilter
from ..forms import ContactForm
from ..models import Contact, Customer
from ..permissions import can_edit_customer
from ..services import contact_delete, contact_save
from .serializers import Output
from .views import ApiView, ListCreateView, ListView, form_cleaned, form_data


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id", "name", "title", "department", "phones", "email", "wechat", "buying_role", "attitude",
            "influence", "communication_style", "is_primary", "notes",
        ]  # fmt: skip
        read_only_fields = ["id"]


CUSTOMER_FIELDS = [
    "name", "group_name", "phones", "need", "credit_code", "industry", "region", "city", "address", "website",
    "source", "referred_by", "annual_purchases", "share_of_wallet", "relationship_level", "status", "is_strategic",
    "is_high_growth", "man_money", "man_authority", "man_need", "notes",
]  # fmt: skip


class CustomerSerializer(Output):
    """A customer as the list and the card show it, to those who may see it in full."""

    owner = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id", *CUSTOMER_FIELDS, "grade", "grade_overridden", "owner", "created_at", "updated_at",
            "last_contact_on", "next_follow_up_on", "pool_since", "pool_reason",
        ]  # fmt: skip
        read_only_fields = fields


class CustomerCardSerializer(CustomerSerializer):
    contacts = ContactSerializer(many=True, read_only=True)
    missing_key_roles = serializers.SerializerMethodField(help_text="Decision maker or coach not yet known.")

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "contacts", "missing_key_roles"]
        read_only_fields = fields

    def get_missing_key_roles(self, customer) -> list[str]:
        present = {contact.buying_role for contact in customer.contacts.all()}
        return [role for role in ("decision_maker", "coach") if role not in present]


class CustomerBriefSerializer(Output):
    """What the duplicate check tells of a customer the caller may not see in full: name, grade, status, holder."""

    owner = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "grade", "status", "owner"]
        read_only_fields = fields


class ApiCustomerFilter(CustomerFilter):
    """The list page's filters and search; the order is the cursor's (by name), so the page's sort is left out."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        del self.filters["ordering"]


class CustomerList(ListView):
    """Customers the caller may see, filtered as on the list page (`q` searches name, pinyin, credit code, phone)."""

    model = Customer
    serializer_class = CustomerSerializer
    filterset_class = ApiCustomerFilter
    ordering = ("name", "pk")

    def visible(self):
        return Customer.objects.visible_to(self.request.user).select_related("owner")


def visible_customer(request, pk, queryset=None):
    """The customer `pk` if the caller may see it, else 404 (never 403: it does not exist for them)."""
    # `is None`, never truthiness: testing a QuerySet for truth loads every row it names.
    customers = Customer.objects.all() if queryset is None else queryset
    return get_object_or_404(customers.filter(pk__in=Customer.objects.visible_to(request.user).values("pk")), pk=pk)


def editable_customer(request, pk):
    """As the pages: 404 for a customer the caller cannot see, 403 for one they only see."""
    customer = visible_customer(request, pk, Customer.objects.select_related("owner__team"))
    if not can_edit_customer(request.user, customer):
        raise PermissionDenied
    return customer


@extend_schema_view(
    get=extend_schema(summary="Contacts of a customer, with their buying roles"),
    post=extend_schema(summary="Add a contact", responses={201: ContactSerializer}),
)
class ContactList(ListCreateView):
    model = Contact
    serializer_class = ContactSerializer
    pagination_class = None  # a customer has a handful

    def visible(self):
        return visible_customer(self.request, self.kwargs["pk"]).contacts.all()

    def create(self, request, *args, **kwargs):
        customer = editable_customer(request, kwargs["pk"])
        contact = _save_contact(request, Contact(customer=customer))
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


def _save_contact(request, contact, partial=False):
    """Through the page's form and the service: the same rules, the same primary-contact switch."""
    shape = ContactSerializer(contact if contact.pk else None, data=request.data, partial=partial)
    shape.is_valid(raise_exception=True)
    form = ContactForm(form_data(shape.validated_data, contact, ContactForm.Meta.fields), instance=contact)
    form_cleaned(form)
    return contact_save(contact=form.save(commit=False), actor=request.user)


@extend_schema_view(
    get=extend_schema(summary="One contact"),
    patch=extend_schema(summary="Change a contact"),
    delete=extend_schema(summary="Remove a contact"),
)
class ContactDetail(ApiView, generics.GenericAPIView):
    serializer_class = ContactSerializer
    http_method_names = ["get", "patch", "delete", "options"]

    def _contact(self, customer):
        return get_object_or_404(Contact, pk=self.kwargs["contact_pk"], customer=customer)

    def get(self, request, pk, contact_pk):
        return Response(ContactSerializer(self._contact(visible_customer(request, pk))).data)

    def patch(self, request, pk, contact_pk):
        contact = self._contact(editable_customer(request, pk))
        return Response(ContactSerializer(_save_contact(request, contact, partial=True)).data)

    def delete(self, request, pk, contact_pk):
        contact_delete(contact=self._contact(editable_customer(request, pk)), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
