"""Who may call the API at all; what each may do is the apps' permission functions, asked by the services."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from accounts.models import ApiToken
from accounts.permissions import is_current


class IsCurrentUser(permissions.BasePermission):
    """Signed in (session or token), active and not departed: the first condition of every permission."""

    def has_permission(self, request, view):
        return is_current(request.user)


class TokenScope(permissions.BasePermission):
    """A read-only token reads; it never writes, whatever its user may do."""

    message = _("This token is read-only: it cannot change anything.")
    code = "read_only_token"

    def has_permission(self, request, view):
        token = request.auth
        return not (isinstance(token, ApiToken) and token.read_only and request.method not in permissions.SAFE_METHODS)
