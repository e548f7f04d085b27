"""Who sees the follow-up board (its teams: `accounts.permissions.managed_teams`); the actions on its cards
are the claims' and crm's permissions."""

from accounts.permissions import can_manage_people


def can_see_board(user) -> bool:
    return can_manage_people(user)


def can_see_job_heartbeats(user) -> bool:
    """The scheduled jobs' last runs are an admin's concern."""
    return can_see_board(user) and user.is_admin
