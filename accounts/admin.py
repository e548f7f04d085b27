from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Team, User


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
        (_("Role and team"), {"fields": ["role", "team", "is_active", "departed_at"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "password1", "password2", "role", "team"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]
