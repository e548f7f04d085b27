from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin

from .models import CloseReason, Opportunity, Purchase, Requirement, Stage, StageChange


class StageForm(forms.ModelForm):
    """The entry requirements as boxes to tick, from the requirements the app knows how to check."""

    requirements = forms.MultipleChoiceField(
        label=_("entry requirements"), choices=Requirement.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Stage
        fields = ["name_en", "name_zh", "milestone_en", "milestone_zh", "order", "probability", "usual_days",
                  "requirements", "is_active"]  # fmt: skip


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    """The stages of the big-deal sale (DOMAIN §6): names, order, default probability and what each requires."""

    form = StageForm
    list_display = ["order", "name_en", "name_zh", "probability", "usual_days", "is_active"]
    list_display_links = ["name_en"]

    def has_delete_permission(self, request, obj=None):
        return False  # deals and their history point at stages: take one out of use instead


@admin.register(CloseReason)
class CloseReasonAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_zh", "outcome", "order", "is_active"]
    list_filter = ["outcome", "is_active"]

    def has_delete_permission(self, request, obj=None):
        return False  # closed deals keep their reason: take one out of use instead


class StageChangeInline(admin.TabularInline):
    """The deal's history: shown, never edited here (the database refuses it too)."""

    model = StageChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "actor", "from_stage", "to_stage", "status", "days_in_previous", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyAdmin):
    """Read here; deals are opened, moved and closed in the app, where the stages' requirements apply."""

    list_display = ["title", "customer", "stage", "status", "amount", "expected_close_on"]
    list_filter = ["status", "stage"]
    list_select_related = ["customer", "stage"]
    search_fields = ["title", "customer__name"]
    inlines = [StageChangeInline]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ["customer", "amount", "bought_on", "opportunity"]
    list_select_related = ["customer", "opportunity"]
    search_fields = ["customer__name"]
