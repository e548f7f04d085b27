"""Who may act on people, and the view decorators by role. Every app's `permissions.py` builds on these."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from .models import Role, Team, User


def is_current(user) -> bool:
    """Signed in, active and not departed: the first condition of every permission in the app."""
    return bool(user.is_authenticated and user.is_active and user.departed_at is None)


def can_see_person(user, person) -> bool:
    """One person's side of `User.objects.visible_to(user)`: oneself, a manager the people of the teams they lead,
    an admin everyone. No query when `person.team` is loaded (a test holds the two spellings equal)."""
    if person is None or not (user.is_authenticated and user.is_active):
        return False
    if user.is_admin or person.pk == user.pk:
        return True
    return user.is_manager and person.team_id is not None and person.team.manager_id == user.pk


def sells(user) -> bool:
    """Reps and managers hold customers and their credit; admins do not sell (what they register goes to the pool)."""
    return is_current(user) and not user.is_admin


def can_hand_to(user, person) -> bool:
    """Whether `user` may give a customer, a follow-up or a complaint to `person`: a current rep or manager among
    their people. `owner_choices` is the same rule as a set, for the forms."""
    return is_current(user) and sells(person) and can_see_person(user, person)


def owner_choices(user):
    """`can_hand_to` as a QuerySet: whom the forms offer."""
    return User.objects.visible_to(user).current().exclude(role=Role.ADMIN).select_related("team")


def can_manage_people(user) -> bool:
    """Managers and admins: the team page, the board, exports, imports, departures."""
    return is_current(user) and (user.is_manager or user.is_admin)


def managed_teams(user):
    """The teams whose page and board `user` may open: a manager the teams they lead, an admin every team."""
    if not can_manage_people(user):
        return Team.objects.none()
    teams = Team.objects.select_related("manager")
    return teams if user.is_admin else teams.filter(manager=user)


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


def can_create_api_token(user) -> bool:
    """Anyone still with the company makes personal API tokens for themselves (never for someone else)."""
    return is_current(user)


def can_revoke_api_token(user, token) -> bool:
    """Its owner revokes a token; an admin revokes anyone's (a leaked key, someone who left)."""
    return is_current(user) and (token.user_id == user.pk or user.is_admin)
