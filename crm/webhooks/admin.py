from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from crm.formatting import date_time

from .models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyAdmin):
    """Read here; registered, disabled and enabled on the webhooks page, where each change is audited. The secret
    is shown there only."""

    list_display = ["name", "url", "is_active", "disabled_reason", "consecutive_failures", "created_at"]
    list_filter = ["is_active", "disabled_reason"]
    search_fields = ["name", "url"]
    fields = readonly_fields = [
        "name", "url", "events", "is_active", "consecutive_failures", "disabled_at", "disabled_reason", "created_by",
        "created_at",
    ]  # fmt: skip


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: each event sent to each endpoint, with every attempt."""

    list_display = ["id", "endpoint", "event", "state", "attempts", "created_at"]
    list_filter = ["state", "event", ("endpoint", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["endpoint"]
    search_fields = ["=id"]
    show_full_result_count = False
    fields = readonly_fields = ["id", "endpoint", "event", "state", "attempts", "created_at", "next_attempt_at",
                                "finished_at", "attempt_log", "body"]  # fmt: skip

    @admin.display(description=_("delivery attempts"))
    def attempt_log(self, delivery):
        """Each attempt on a line (a list, not an inline table: nothing to scroll sideways on a phone)."""
        lines = [
            (attempt.number, date_time(attempt.at), attempt.status_code or attempt.error, attempt.duration_ms)
            for attempt in delivery.log.all()
        ]
        return format_html_join("\n", "<div>#{} · {} · {} · {} ms</div>", lines) or "—"
