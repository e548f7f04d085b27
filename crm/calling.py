"""Which number a call button rings."""

from dataclasses import dataclass

from .models import BuyingRole, Contact, Customer
from .normalize import split_phones


def _is_mobile(number: str) -> bool:
    # split_phones has taken China's country code off: a mainland mobile is 11 digits starting with 1.
    return len(number) == 11 and number.startswith("1")


def _mobile(phones: str) -> str:
    return next((number for number in split_phones(phones) if _is_mobile(number)), "")


@dataclass
class CallTarget:
    """Whom the call button rings: a contact (kept for the visit log afterwards) or the company's line."""

    number: str  # digits only, ready for tel:
    contact: Contact | None = None


def call_target(customer: Customer, contacts) -> CallTarget | None:
    """The decision maker's mobile, else the primary contact's, else the customer's first phone.

    `contacts` are the customer's contacts (already fetched: the day list asks once for all rows). With no
    mobile and no company line, a decision maker's or primary contact's landline still beats nothing.
    """
    people = [c for c in contacts if c.buying_role == BuyingRole.DECISION_MAKER] + [c for c in contacts if c.is_primary]
    for contact in people:
        if number := _mobile(contact.phones):
            return CallTarget(number, contact)
    if numbers := split_phones(customer.phones):
        return CallTarget(numbers[0])
    for contact in people:
        if numbers := split_phones(contact.phones):
            return CallTarget(numbers[0], contact)
    return None
