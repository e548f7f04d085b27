"""Badges in the main navigation: what needs doing now."""

from django.utils import timezone

from .models import Reminder, ReminderState
from .permissions import escalations_for


def due_count(user) -> int:
    """Follow-ups the user owes today or has let slip."""
    return Reminder.objects.open().filter(assignee=user, due_on__lte=timezone.localdate()).count()


def escalated_count(user) -> int:
    return escalations_for(user).filter(reminder__state=ReminderState.OPEN).count()
