import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from crm.models import Customer, Grade, Industry, Status

from .services import without_decision_maker


class BoardFilter(django_filters.FilterSet):
    """Narrow the board: whose, where, what kind, and only the customers that need the manager now."""

    owner = django_filters.ModelChoiceFilter(label=_("Rep"), queryset=User.objects.none())
    grade = django_filters.MultipleChoiceFilter(
        label=_("Grade"), choices=Grade.choices, widget=forms.CheckboxSelectMultiple
    )
    region = django_filters.CharFilter(label=_("Province / region"), lookup_expr="icontains")
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=Industry.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    overdue = django_filters.BooleanFilter(label=_("Only overdue"), method="filter_overdue", widget=forms.CheckboxInput)
    no_decision_maker = django_filters.BooleanFilter(
        label=_("Only without a decision maker"), method="filter_no_decision_maker", widget=forms.CheckboxInput
    )

    class Meta:
        model = Customer
        fields = []

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = people

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset

    def filter_no_decision_maker(self, queryset, name, value):
        return without_decision_maker(queryset) if value else queryset

    @property
    def grades(self):
        """The grade columns to show: the chosen ones, or all three."""
        chosen = self.form.cleaned_data.get("grade") if self.form.is_valid() else None
        return [grade for grade in Grade.values if grade in chosen] if chosen else list(Grade.values)
