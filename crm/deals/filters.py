import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from accounts.permissions import can_manage_people, managed_teams

from .forms import StageChoiceField
from .models import Opportunity, Stage


class MonthField(forms.CharField):
    """A month as the browser's month input sends it: 2026-03."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            month = datetime.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise ValidationError(_("Give a month as 2026-03."), code="invalid") from None
        if month.year < 2000:
            raise ValidationError(_("Give a month as 2026-03."), code="invalid")
        return month


class AmountRangeWidget(django_filters.widgets.RangeWidget):
    """From and to, each with its own name for a screen reader (the field's label names the pair)."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, label in zip(
            context["widget"]["subwidgets"], (_("Amount from"), _("Amount up to")), strict=True
        ):
            subwidget["attrs"]["aria-label"] = str(label)
        return context


class MonthFilter(django_filters.Filter):
    field_class = MonthField

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(expected_close_on__year=value.year, expected_close_on__month=value.month)


class StageFilter(django_filters.ModelChoiceFilter):
    field_class = StageChoiceField


class DealFilter(django_filters.FilterSet):
    """Narrow the pipeline: whose, which stage, closing when, how big, and the deals stuck in their stage."""

    owner = django_filters.ModelChoiceFilter(label=_("Rep"), field_name="customer__owner", queryset=User.objects.none())
    team = django_filters.ModelChoiceFilter(
        label=_("Team"), field_name="customer__owner__team", queryset=Team.objects.none()
    )
    stage = StageFilter(label=_("Stage"), queryset=Stage.objects.filter(is_active=True))
    close_month = MonthFilter(label=_("Closing in"))
    amount = django_filters.RangeFilter(
        label=_("Amount (CNY)"),
        widget=AmountRangeWidget(attrs={"inputmode": "numeric", "class": "form-control"}),
    )
    # The customer card's link to its open deals; no field on the page. A whole number the database can compare.
    customer = django_filters.NumberFilter(
        field_name="customer", widget=forms.HiddenInput, max_digits=18, decimal_places=0
    )
    stuck = django_filters.NumberFilter(
        label=_("In the stage longer than (days)"), method="filter_stuck", min_value=0, max_value=3650
    )
    past_usual = django_filters.BooleanFilter(
        label=_("Stuck: longer in the stage than usual"),
        method="filter_past_usual",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Opportunity
        fields = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = User.objects.visible_to(user).order_by("username")
        if can_manage_people(user):
            self.filters["team"].queryset = managed_teams(user).order_by("name")
        else:
            del self.filters["team"]

    def filter_stuck(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.stuck(int(value))

    def filter_past_usual(self, queryset, name, value):
        return queryset.past_usual_time() if value else queryset
