"""Badges in the main navigation: ownership questions waiting for an answer."""

from django.db.models import Q

from .models import Dispute


def open_disputes_count(user) -> int:
    """Open disputes a manager or admin has to decide; for a rep, the open ones they are a side of."""
    disputes = Dispute.objects.open()
    if user.is_rep:
        return disputes.filter(Q(holder=user) | Q(challenger=user)).count()
    return disputes.decidable_by(user).count()
