from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin

from .models import Claim, Dispute, HoldingLimit, OwnershipEvent, OwnershipPolicy


@admin.register(OwnershipPolicy)
class OwnershipPolicyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not OwnershipPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HoldingLimit)
class HoldingLimitAdmin(admin.ModelAdmin):
    list_display = ["user", "holding_limit"]
    raw_id_fields = ["user"]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["customer", "holder", "started_at", "protected_until", "holder_share", "shared_with", "ended_at"]
    list_filter = ["end_reason"]
    list_select_related = ["customer", "holder", "shared_with"]
    search_fields = ["customer__name", "holder__username"]


@admin.register(OwnershipEvent)
class OwnershipEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "customer", "kind", "actor", "from_user", "to_user", "why"]
    list_filter = ["kind"]
    list_select_related = ["customer", "actor", "from_user", "to_user"]
    search_fields = ["customer__name", "reason"]
    date_hierarchy = "at"

    @admin.display(description=_("reason"))
    def why(self, event):
        return event.reason_display


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["customer", "kind", "holder", "challenger", "state", "outcome", "opened_at", "decided_by"]
    list_filter = ["state", "kind", "outcome"]
    list_select_related = ["customer", "holder", "challenger", "decided_by"]
