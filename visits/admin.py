from django.contrib import admin

from .models import CheckinPolicy


@admin.register(CheckinPolicy)
class CheckinPolicyAdmin(admin.ModelAdmin):
    """One row: how far from a customer's site an on-site check-in may be before the visit is marked."""

    list_display = ["far_from_site_m"]

    def has_add_permission(self, request):
        return not CheckinPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
