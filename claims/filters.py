import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from crm.dates import validate_plausible_range
from crm.models import Customer, Grade, Industry, PoolReason


class PoolFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Name, pinyin initials, credit code or phone"),
                "type": "search",
                "class": "form-control",
            }
        ),
    )
    region = django_filters.CharFilter(label=_("Province / region"), lookup_expr="icontains")
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=Industry.choices)
    grade = django_filters.MultipleChoiceFilter(
        label=_("Grade"), choices=Grade.choices, widget=forms.CheckboxSelectMultiple
    )
    pool_reason = django_filters.ChoiceFilter(label=_("Why in the pool"), choices=PoolReason.choices)
    pool_since = django_filters.DateFromToRangeFilter(
        label=_("In the pool since"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
        validators=[validate_plausible_range],
    )

    class Meta:
        model = Customer
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.search(value)
