import django_filters
from django import forms
from django.db import models
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from accounts.models import Team, User

from .models import Customer, Grade, Industry, RelationshipLevel, Source, Status


def more_filters_open(form) -> bool:
    """Whether a list's collapsed Filters card is shown open: when more than one filter is set, or when one was
    refused, so that its message is seen (the list is then filtered by the others)."""
    return len(form.changed_data) > 1 or bool(form.errors)


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, pinyin initials, credit code or phone"), "type": "search"}
        ),
    )
    # distinct=False: a column of the customer itself matches no row twice, and DISTINCT would make PostgreSQL
    # sort every match before the first page instead of walking the list's index (36 ms at 100,000 customers).
    grade = django_filters.MultipleChoiceFilter(
        label=_("Grade"), choices=Grade.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.none())
    team = django_filters.ModelChoiceFilter(label=_("Team"), field_name="owner__team", queryset=Team.objects.none())
    in_pool = django_filters.BooleanFilter(label=_("In the shared pool"), field_name="owner", lookup_expr="isnull")
    region = django_filters.CharFilter(label=_("Province / region"), lookup_expr="icontains")
    city = django_filters.CharFilter(label=_("City"), lookup_expr="icontains")
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=Industry.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Source.choices)
    relationship_level = django_filters.ChoiceFilter(label=_("Relationship"), choices=RelationshipLevel.choices)
    overdue = django_filters.BooleanFilter(label=_("Follow-up overdue"), method="filter_overdue")
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[
            ("name", "name"),
            ("grade", "grade"),
            ("annual_purchases", "annual_purchases"),
            ("next_follow_up_on", "next_follow_up_on"),
            ("created_at", "created_at"),
        ],
        field_labels={
            "name": _("Name"),
            "grade": _("Grade"),
            "annual_purchases": _("Annual purchases"),
            "next_follow_up_on": _("Next follow-up"),
            "created_at": _("Registered"),
        },
    )

    class Meta:
        model = Customer
        fields = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.visible_to(user)
        self.filters["owner"].queryset = people.exclude(role="admin")
        self.filters["team"].queryset = (
            Team.objects.all() if user.is_admin else Team.objects.filter(members__in=people).distinct()
        )

    def get_form_class(self):
        class StrictForm(super().get_form_class()):
            def clean(self):
                # "in_pool=perhaps" cleans to "no filter" without an error: for an export, that is a filter ignored.
                cleaned = super().clean()
                for name in list(cleaned):
                    # A value the widget itself offers is never refused: a yes/no filter's "Unknown" is sent as
                    # "unknown" with every search the form submits.
                    offered = getattr(self.fields[name].widget, "choices", ())
                    offered = {str(value) for value, _label in offered} if isinstance(offered, list | tuple) else set()
                    typed = [value for value in self.data.getlist(name) if value.strip() and value not in offered]
                    if typed and cleaned[name] in EMPTY_VALUES:
                        self.add_error(name, _("This filter does not take “%(value)s”.") % {"value": typed[0]})
                return cleaned

        return StrictForm

    def applied(self) -> dict:
        """The filters the queryset was narrowed by, as the form cleaned them (ids for people and teams): what an
        audit entry records, rather than the query string as asked."""
        applied = {}
        for name, value in self.form.cleaned_data.items():
            if value in EMPTY_VALUES:
                continue  # a blank filter narrows nothing
            applied[name] = value.pk if isinstance(value, models.Model) else value
        return applied

    def error_text(self) -> str:
        """Each filter that cannot be applied, with why: "Owner: Select a valid choice. …"."""
        text = " ".join(
            f"{self.form.fields[name].label}: {' '.join(errors)}" if name in self.form.fields else " ".join(errors)
            for name, errors in self.form.errors.items()
        )
        return Truncator(text).chars(300)  # an error may quote the value, which may be 10,000 characters

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset.exclude(next_follow_up_on__lt=timezone.localdate())
