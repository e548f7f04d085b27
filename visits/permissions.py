"""Who may log, correct and pause follow-ups. Seeing them is `Visit.objects.visible_to(user)` (and Reminder's)."""

from accounts.permissions import can_hand_to, can_manage_people, is_current
from crm.permissions import can_edit_customer

from .models import Escalation


def can_log_visit(user, customer) -> bool:
    """Visits and pauses are logged by whoever may change the customer (its rep, their manager, an admin)."""
    return can_edit_customer(user, customer)


can_snooze = can_log_visit


def can_edit_visit(user, visit) -> bool:
    """The author may correct a log for a week; after that it is a record only an admin corrects."""
    return is_current(user) and visit.editable_by(user)


def can_own_next_step(user, person) -> bool:
    """Whom a visit's next step may go to: the people `user` may hand work to."""
    return can_hand_to(user, person)


def can_dismiss_reminder(user, reminder) -> bool:
    """A follow-up is dismissed by the person who owes it."""
    return is_current(user) and reminder.assignee_id == user.pk


def escalations_for(user):
    """Escalated follow-ups a manager answers for; an admin sees every team's."""
    if not is_current(user):
        return Escalation.objects.none()
    return Escalation.objects.all() if user.is_admin else Escalation.objects.filter(manager=user)


def can_set_site(user, customer) -> bool:
    """A customer's site (what check-ins are measured against) is set or confirmed by its team's manager or
    an admin, never by the rep whose visits it judges."""
    return can_manage_people(user) and can_edit_customer(user, customer)
