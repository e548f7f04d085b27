"""Badges in the main navigation: ownership questions waiting for an answer."""

from django.db.models import Q

from accounts.permissions import can_manage_people

from .models import Dispute
from .permissions import disputes_decidable_by


def open_disputes_count(user) -> int:
    """Open disputes a manager or admin has to decide; for a rep, the open ones they are a side of."""
    if not can_manage_people(user):
        return Dispute.objects.open().filter(Q(holder=user) | Q(challenger=user)).count()
    return disputes_decidable_by(user).open().count()
