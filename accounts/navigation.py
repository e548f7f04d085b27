"""The main navigation: which entries each role sees.

Apps add their entries here as they gain pages; the template only renders.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset
    # Dotted path of a function(user) -> int shown as a badge; by path, so accounts needs no other app.
    count: str = ""
    # Only in the phone's folded menu: on a desktop the page behind the item is a click away already.
    phone_only: bool = False


EVERYONE = frozenset(Role.values)
MANAGERS_AND_ADMINS = frozenset({Role.MANAGER, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})

NAV_ITEMS = [
    NavItem(_("Board"), "board:board", MANAGERS_AND_ADMINS),
    NavItem(_("My day"), "visits:day", EVERYONE, count="visits.navigation.due_count"),
    NavItem(_("Customers"), "crm:customer_list", EVERYONE),
    # A rep meets a new customer in the field: registering is one tap from the phone's menu.
    NavItem(_("Register customer"), "claims:register", EVERYONE, phone_only=True),
    NavItem(_("Pool"), "claims:pool", EVERYONE),
    NavItem(_("Disputes"), "claims:dispute_list", EVERYONE, count="claims.navigation.open_disputes_count"),
    NavItem(_("Pipeline"), "deals:pipeline", EVERYONE),
    NavItem(_("Complaints"), "complaints:list", EVERYONE),
    NavItem(_("Escalations"), "visits:escalation_list", MANAGERS_AND_ADMINS, count="visits.navigation.escalated_count"),
    NavItem(_("Team"), "accounts:team", MANAGERS_AND_ADMINS),
    NavItem(_("Webhooks"), "webhooks:list", ADMINS),
    NavItem(_("Admin site"), "admin:index", ADMINS),
]


def role_of(user):
    return Role.ADMIN if user.is_admin else user.role


def nav_for(user, current_path=""):
    role = role_of(user)
    items = []
    for item in NAV_ITEMS:
        if role in item.roles:
            url = reverse(item.url_name)
            active = current_path == url if url == "/" else current_path.startswith(url)
            count = import_string(item.count)(user) if item.count else None
            items.append(
                {"label": item.label, "url": url, "active": active, "count": count, "phone_only": item.phone_only}
            )
    return items
