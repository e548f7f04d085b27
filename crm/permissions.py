"""Who may do what with customers and their contacts. Seeing a customer is `Customer.objects.visible_to(user)`;
changing one is `Customer.objects.editable_by(user)`, and `can_edit_customer` is its one-customer side."""

from accounts.permissions import can_manage_people, can_see_person, is_current


def can_edit_customer(user, customer) -> bool:
    """A rep their own customers; a manager their people's and the pool's; an admin any (`editable_by`).
    No query when `customer.owner.team` is loaded."""
    if not is_current(user):
        return False
    if user.is_rep:
        return customer.owner_id == user.pk
    return customer.owner_id is None or can_see_person(user, customer.owner)


def can_create_customer(user) -> bool:
    """Anyone still with the company registers (an admin's registration starts in the pool)."""
    return is_current(user)


def can_set_grade(user, customer) -> bool:
    """Managers and admins override the suggested grade of a customer they see (DOMAIN §1)."""
    return can_manage_people(user) and can_edit_customer(user, customer)


def can_export_customers(user) -> bool:
    return can_manage_people(user)
