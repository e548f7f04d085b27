from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiToken, AuditEntry, Team, User
from .services import api_token_revoke


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager"]
    search_fields = ["name", "manager__username", "manager__last_name"]
    autocomplete_fields = ["manager"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "role", "team", "is_active", "departed_at"]
    list_filter = ["role", "team", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "phone"]
    list_select_related = ["team"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email", "phone"]}),
        (_("Role and team"), {"fields": ["role", "team", "is_active", "departed_at", "departure"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "password1", "password2", "role", "team"]}),
    ]
    # Unticking "active" or setting "departed at" for someone who holds customers is refused (User.clean):
    # leaving goes through the departure page, which moves their customers with history.
    readonly_fields = ["last_login", "date_joined", "departure"]

    @admin.display(description=_("Departure"))
    def departure(self, obj):
        held = obj.customers.count() if obj.pk else 0
        if not held:
            return "—"
        return format_html(
            '{} <a href="{}">{}</a>',
            ngettext("Holds %(count)s customer.", "Holds %(count)s customers.", held) % {"count": held},
            obj.departure_url,
            _("Mark as departed"),
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the app's services (histories, the audit trail): here they are read."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit trail, to read and filter; nobody (not even an admin) may add, change or delete."""

    list_display = ["at", "action", "username", "subject_label", "summary", "ip_address"]
    list_filter = ["action", ("at", admin.DateFieldListFilter), ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["username", "subject_label", "subject_id", "summary", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
    readonly_fields = [field.name for field in AuditEntry._meta.fields]
    show_full_result_count = False  # the trail grows without bound: no COUNT(*) over all of it per page


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Everyone's API tokens, to see and revoke (a leaked key, someone who left); their owners make them."""

    list_display = ["name", "user", "prefix", "read_only", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["read_only", ("revoked_at", admin.EmptyFieldListFilter), ("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__last_name"]
    list_select_related = ["user"]
    readonly_fields = [field.name for field in ApiToken._meta.fields if field.name != "key_hash"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token, actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)s token revoked.", "%(count)s tokens revoked.", len(tokens)) % {"count": len(tokens)},
        )
