"""Who may record, handle and hand over complaints. Seeing them is `Complaint.objects.visible_to(user)`."""

from accounts.permissions import can_hand_to, is_current
from crm.models import Customer
from crm.permissions import can_edit_customer


def can_record_complaint(user, customer) -> bool:
    """Anyone who sees the customer records what the customer complained of."""
    return is_current(user) and Customer.objects.visible_to(user).filter(pk=customer.pk).exists()


def can_handle_complaint(user, complaint) -> bool:
    """The assignee, whoever may change the customer, and admins move a complaint along and edit it."""
    if not is_current(user):
        return False
    if user.is_admin or complaint.assignee_id == user.pk:
        return True
    return can_edit_customer(user, complaint.customer)


def can_assign_complaint(user, person) -> bool:
    """Whom a complaint may be handed to: the people `user` may hand work to."""
    return can_hand_to(user, person)
