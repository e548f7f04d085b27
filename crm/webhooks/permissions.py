"""Who may register and switch off webhook endpoints: admins, who see the whole company's data anyway."""

from accounts.permissions import is_current


def can_manage_webhooks(user) -> bool:
    """The events carry any team's customers and people: only an admin decides where they go."""
    return is_current(user) and user.is_admin
