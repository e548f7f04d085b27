from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin

from .models import Contact, Customer, GradeChange, GradeRule, JobHeartbeat
from .paging import EstimatingPaginator
from .services import contact_delete, customer_save


@admin.register(GradeRule)
class GradeRuleAdmin(admin.ModelAdmin):
    list_display = ["grade", "min_annual_purchases", "cadence_days", "onsite_interval_days", "escalate_after_days"]

    def has_delete_permission(self, request, obj=None):
        return False


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "buying_role", "phones", "is_primary"]
    can_delete = False  # deleting goes through the contact's own page, which keeps complaints' names


class GradeChangeInline(admin.TabularInline):
    """Grade history is append-only: shown, never edited here."""

    model = GradeChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ["changed_at", "changed_by", "from_grade", "to_grade", "is_override", "why"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("reason"))
    def why(self, change):
        return change.reason_display


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "grade", "status", "owner", "city", "annual_purchases", "next_follow_up_on"]
    list_filter = ["grade", "status", "industry", "source", "relationship_level", "owner__team"]
    search_fields = ["name", "name_normalized", "name_initials", "credit_code", "phone_numbers__number"]
    list_select_related = ["owner"]
    # 100,000 customers: estimated, not counted, and not counted a second time for "of N in all"; by name then
    # id, the order of the customer_name_order index (Django would add "-pk", which no index serves).
    paginator = EstimatingPaginator
    show_full_result_count = False
    ordering = ["name", "pk"]
    raw_id_fields = ["referred_by", "created_by"]
    # Owner and pool state change only through the claims services, which keep the history; the keys the
    # duplicate check matches (name, group, phones, credit code) only in the app, where that check runs.
    readonly_fields = [
        "name", "group_name", "phones", "credit_code", "name_normalized", "owner", "pool_since", "pool_reason",
        "created_at", "updated_at",
    ]  # fmt: skip
    inlines = [ContactInline, GradeChangeInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        # Through the service, so the grade follows the facts and the change is recorded.
        customer_save(customer=obj, actor=request.user)

    def has_add_permission(self, request):
        # New customers are registered in the app, where the duplicate check and first claim happen.
        return False

    def has_delete_permission(self, request, obj=None):
        # Customers are marked lost, never deleted: their history is evidence.
        return False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "customer", "title", "buying_role", "attitude", "influence", "is_primary"]
    list_filter = ["buying_role", "attitude", "influence", "communication_style"]
    search_fields = ["name", "customer__name", "phones", "email", "wechat"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]

    # Through the service, so that complaints a deleted contact made keep the complainant's name.
    def delete_model(self, request, obj):
        contact_delete(contact=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for contact in queryset:
            contact_delete(contact=contact, actor=request.user)


@admin.register(GradeChange)
class GradeChangeAdmin(ReadOnlyAdmin):
    list_display = ["customer", "from_grade", "to_grade", "is_override", "changed_by", "changed_at"]
    list_filter = ["to_grade", "is_override"]
    search_fields = ["customer__name", "reason"]
    list_select_related = ["customer", "changed_by"]


@admin.register(JobHeartbeat)
class JobHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run_at", "runs"]
    readonly_fields = ["name", "last_run_at", "runs"]

    def has_add_permission(self, request):
        return False
