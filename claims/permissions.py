"""Who may change who owns a customer (DOMAIN §5). The services check these before writing; the pages use them to
choose what to offer. What a rule of the pool allows (cool-down, holding limit, caps) is the services' to say."""

from django.db.models import Q

from accounts.permissions import can_hand_to, can_manage_people, can_see_person, is_current, sells
from crm.models import Customer

from .models import Claim, Dispute, DisputeKind


def can_claim(user) -> bool:
    """Reps and managers claim from the pool; admins assign (transfer) instead."""
    return sells(user)


def can_register(user) -> bool:
    """Anyone still with the company registers a customer; an admin's registration starts in the pool."""
    return is_current(user)


def can_register_for_others(user) -> bool:
    """Registering with the owner someone else names (an import): managers and admins."""
    return can_manage_people(user)


def _manages_holder(user, holder) -> bool:
    """The holder themselves, a manager of the holder's team, an admin; for the pool, managers and admins."""
    if not is_current(user):
        return False
    if holder is None:
        return user.is_manager or user.is_admin
    return can_see_person(user, holder)


def can_release(user, customer) -> bool:
    """The holder, their manager or an admin gives a held customer back to the pool."""
    return customer.owner_id is not None and _manages_holder(user, customer.owner)


def can_transfer(user, customer) -> bool:
    """A manager moves their people's (or the pool's) customers; an admin anyone's."""
    return can_manage_people(user) and _manages_holder(user, customer.owner)


def can_transfer_to(user, person) -> bool:
    return can_hand_to(user, person)


def disputable_customers(user):
    """Customers a user may open a dispute about: those whose card they see, and those they held before (a rep who
    lost one may say they were first)."""
    if not is_current(user):
        return Customer.objects.none()
    return Customer.objects.filter(
        Q(pk__in=Customer.objects.visible_to(user).values("pk"))
        | Q(pk__in=Claim.objects.filter(holder=user).values("customer"))
    )


def can_open_dispute(user, customer, *, kind=DisputeKind.CLAIM, challenger=None) -> bool:
    """Anyone still with the company says they were first (rule 6; the pages offer it for the customers in
    `disputable_customers`, a registration's collision for any); a manager or admin records a customer's wish
    for one of their people (rule 9)."""
    if not is_current(user):
        return False
    if kind == DisputeKind.CUSTOMER_WISH and not (user.is_manager or user.is_admin):
        return False
    return challenger is None or challenger.pk == user.pk or can_see_person(user, challenger)


def offers_dispute(user, customer) -> bool:
    """The card's "Open a dispute" button: for a rep, about a customer someone else holds. Managers and admins open
    one (a customer's wish) from the dispute page."""
    return is_current(user) and user.is_rep and customer.owner_id not in (None, user.pk)


def disputes_decidable_by(user):
    """The disputes `user` may decide (DOMAIN §5.7): a team's manager his team's, an admin any; never one
    they are a party to. The one rule behind the service, the dispute page, the queue and the badge."""
    if not (is_current(user) and (user.is_admin or user.is_manager)):
        return Dispute.objects.none()
    disputes = Dispute.objects.exclude(Q(holder=user) | Q(challenger=user))
    return disputes if user.is_admin else disputes.filter(team__manager=user)


def decides_for_admins(user) -> bool:
    """Admins arbitrate what no team's manager may decide (across teams, or a manager a party): their own queue."""
    return is_current(user) and user.is_admin


def explains_party(user, dispute) -> bool:
    """A manager or admin who is a party sees why they cannot decide; a rep party never decides anyway."""
    return dispute.is_party(user) and not user.is_rep


def can_decide_dispute(user, dispute) -> bool:
    return disputes_decidable_by(user).filter(pk=dispute.pk).exists()


def can_depart(user, person) -> bool:
    """A manager marks the people of their team as departed, an admin anyone; never oneself."""
    return can_manage_people(user) and person.pk != user.pk and can_see_person(user, person)


def credit_shares_of(user):
    """Active claims in which `user` holds a share of the credit without holding the customer."""
    return Claim.objects.active().filter(shared_with=user)
