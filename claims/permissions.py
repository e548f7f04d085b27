"""Which ownership actions to offer someone; the services check again and have the last word."""


def may_claim(user) -> bool:
    """Reps and managers claim from the pool; admins assign (transfer) instead."""
    return user.is_rep or user.is_manager
