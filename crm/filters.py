import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User

from .models import Customer, Grade, Industry, RelationshipLevel, Source, Status


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, pinyin initials, credit code or phone"), "type": "search"}
        ),
    )
    grade = django_filters.MultipleChoiceFilter(
        label=_("Grade"), choices=Grade.choices, widget=forms.CheckboxSelectMultiple
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

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset.exclude(next_follow_up_on__lt=timezone.localdate())
