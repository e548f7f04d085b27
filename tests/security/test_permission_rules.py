"""Each per-object permission says what its QuerySet says and what its service does: one rule, several spellings.

The pages choose what to offer with `can_<action>(user, obj)`; the services refuse with the same functions; the
QuerySets (`visible_to`, `editable_by`, `owner_choices`) answer for many rows at once. Walked over every pair of
people and customers of the fuzz tests' world, and someone who left.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import User
from accounts.permissions import can_hand_to, can_see_person, owner_choices
from claims.services import claim_release, claim_transfer
from claims.templatetags.ownership import ownership_panel
from crm.models import Customer
from crm.permissions import can_edit_customer
from tests.factories import UserFactory
from tests.security.test_fuzz_forms import world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

PEOPLE = ["admin", "manager", "rep", "colleague", "other_manager", "other_rep"]


@pytest.fixture
def people(world):  # noqa: F811
    departed = UserFactory(role="admin", is_active=False, departed_at=timezone.now() - datetime.timedelta(days=1))
    return [User.objects.select_related("team").get(pk=getattr(world, name).pk) for name in PEOPLE] + [departed]


def customers():
    return list(Customer.objects.select_related("owner__team"))


def test_seeing_a_person_is_visible_to_for_one(people):
    for user in people:
        visible = set(User.objects.visible_to(user).values_list("pk", flat=True))
        assert {person.pk for person in people if can_see_person(user, person)} == visible & {p.pk for p in people}


def test_handing_work_to_a_person_is_owner_choices_for_one(people):
    for user in people:
        choices = set(owner_choices(user).values_list("pk", flat=True))
        assert {person.pk for person in people if can_hand_to(user, person)} == choices & {p.pk for p in people}


def test_editing_a_customer_is_editable_by_for_one(people):
    for user in people:
        editable = set(Customer.objects.editable_by(user).values_list("pk", flat=True))
        assert {customer.pk for customer in customers() if can_edit_customer(user, customer)} == editable, user


def panel(user, customer):
    """The ownership panel's context on the customer's card, as `user` sees it."""
    request = RequestFactory().get("/")
    request.user = user
    return ownership_panel({"request": request}, customer)


def accepted(service, **kwargs) -> bool:
    """Whether the service takes the action (then undone), or refuses it as not this person's to take."""
    try:
        with transaction.atomic():
            service(**kwargs)
            transaction.set_rollback(True)
    except PermissionDenied:
        return False
    except ValidationError:  # a rule of the pool or a missing choice: the person may act, this time it fails
        return True
    return True


def test_the_card_offers_release_and_transfer_exactly_when_the_service_accepts(world, people):  # noqa: F811
    for user in people:
        for customer in Customer.objects.visible_to(user).select_related("owner__team"):
            offered = panel(user, customer)
            assert offered["can_release"] == (
                customer.owner_id is not None and accepted(claim_release, customer=customer, actor=user, reason="换人")
            ), (user, customer)
            assert offered["can_transfer"] == accepted(
                claim_transfer, customer=customer, actor=user, to_user=world.colleague, reason="客户要求"
            ), (user, customer)
