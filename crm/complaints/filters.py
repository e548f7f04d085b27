import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from crm.dates import validate_plausible_range
from crm.models import Grade

from .models import Category, Complaint, Severity, State


class ComplaintFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Customer, complainant or order/machine reference"),
                "type": "search",
                "class": "form-control",
            }
        ),
    )
    # distinct=False here and on grade: a complaint's own columns, or its one customer's, match no row twice, and
    # DISTINCT would sort every match before the first page instead of walking the list's index.
    state = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=State.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    severity = django_filters.MultipleChoiceFilter(
        label=_("Severity"), choices=Severity.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    grade = django_filters.MultipleChoiceFilter(
        label=_("Customer grade"), field_name="customer__grade", choices=Grade.choices,
        widget=forms.CheckboxSelectMultiple, distinct=False,
    )  # fmt: skip
    overdue = django_filters.BooleanFilter(label=_("Response overdue"), method="filter_overdue")
    assignee = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("complaint", "Assignee"), queryset=User.objects.none()
    )
    received = django_filters.DateFromToRangeFilter(
        label=_("Received"),
        field_name="received_at",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
        validators=[validate_plausible_range],
    )
    # The customer card's "all complaints" link; no field on the page. A whole number the database can compare.
    customer = django_filters.NumberFilter(
        field_name="customer", widget=forms.HiddenInput, max_digits=18, decimal_places=0
    )

    class Meta:
        model = Complaint
        fields = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The people whose records the user sees: a short list, where scanning every complaint for its
        # assignee took 100 ms at 20,000 complaints.
        self.filters["assignee"].queryset = User.objects.visible_to(user).order_by("username")

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(customer__name__icontains=value)
            | Q(complainant_name__icontains=value)
            | Q(complainant__name__icontains=value)
            | Q(reference__icontains=value)
        )

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.overdue()
        return queryset.exclude(pk__in=Complaint.objects.overdue().values("pk"))
