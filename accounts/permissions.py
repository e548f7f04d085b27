from functools import wraps

from django.core.exceptions import PermissionDenied

from .models import Role


def role_required(*roles):
    """Allow the view only to users holding one of `roles` (admins always pass)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not (user.is_admin or user.role in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


manager_required = role_required(Role.MANAGER)
