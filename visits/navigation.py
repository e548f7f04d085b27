"""Badges in the main navigation: what needs doing now."""

from django.utils import timezone

from .models import Escalation, Reminder, ReminderState


def due_count(user) -> int:
    """Follow-ups the user owes today or has let slip."""
    return Reminder.objects.open().filter(assignee=user, due_on__lte=timezone.localdate()).count()


def escalated_count(user) -> int:
    escalations = Escalation.objects.filter(reminder__state=ReminderState.OPEN)
    return (escalations if user.is_admin else escalations.filter(manager=user)).count()
