"""Who may open and work deals. Seeing them is `Opportunity.objects.visible_to(user)` (it follows the customer)."""

from accounts.models import User
from accounts.permissions import can_hand_to, can_manage_people, owner_choices
from crm.permissions import can_edit_customer


def can_create_deal(user, customer) -> bool:
    """Whoever may change a held customer opens a deal on it: the holder, their manager, an admin. A pool customer
    has nobody to own the deal: it is claimed first."""
    return customer.owner_id is not None and can_edit_customer(user, customer)


def can_work_deal(user, opportunity) -> bool:
    """The deal's owner (the customer's holder), their manager and admins edit it and move it along.
    No query when `opportunity.customer.owner.team` is loaded."""
    return can_edit_customer(user, opportunity.customer)


def can_override_requirements(user, opportunity) -> bool:
    """A manager (or admin) may move a deal past requirements it does not meet, with a reason (kept)."""
    return can_manage_people(user) and can_work_deal(user, opportunity)


def can_set_target(user, rep) -> bool:
    """A manager sets the targets of the current reps of the teams they lead, an admin anyone's who sells; nobody
    sets their own. No query when `rep.team` is loaded."""
    return can_manage_people(user) and rep is not None and rep.pk != user.pk and can_hand_to(user, rep)


def target_reps(user):
    """`can_set_target` as a QuerySet: the rows of the targets page."""
    if not can_manage_people(user):
        return User.objects.none()
    return owner_choices(user).exclude(pk=user.pk)
