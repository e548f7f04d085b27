from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from crm.paging import EstimatingPaginator

from .models import Complaint, ComplaintEvent, ResponseDeadline


@admin.register(ResponseDeadline)
class ResponseDeadlineAdmin(admin.ModelAdmin):
    list_display = ["severity", "response_hours"]

    def has_delete_permission(self, request, obj=None):
        return False


class ComplaintEventInline(admin.TabularInline):
    """The workflow's steps: shown, never edited here."""

    model = ComplaintEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "actor", "from_state", "to_state", "why"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("note"))
    def why(self, event):
        return event.note_display


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    """Read here; recorded and moved in the app, where the workflow's rules and alerts apply."""

    list_display = ["customer", "category", "severity", "state", "received_at", "respond_by", "assignee"]
    list_filter = ["state", "severity", "category"]
    list_select_related = ["customer", "assignee"]
    search_fields = ["customer__name", "description", "reference"]
    paginator = EstimatingPaginator  # estimated above 1,000 complaints, counted once (crm/paging.py)
    show_full_result_count = False
    inlines = [ComplaintEventInline]
