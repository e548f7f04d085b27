"""Which ownership actions to offer someone; the services check again and have the last word."""

from django.db.models import Q

from .models import Claim, Dispute


def may_claim(user) -> bool:
    """Reps and managers claim from the pool; admins assign (transfer) instead."""
    return user.is_rep or user.is_manager


def disputes_decidable_by(user):
    """The disputes `user` may decide (DOMAIN §5.7): a team's manager his team's, an admin any; never one
    they are a party to. The one rule behind the service, the dispute page, the queue and the badge."""
    if not (user.is_admin or user.is_manager):
        return Dispute.objects.none()
    disputes = Dispute.objects.exclude(Q(holder=user) | Q(challenger=user))
    return disputes if user.is_admin else disputes.filter(team__manager=user)


def may_decide_dispute(user, dispute) -> bool:
    return disputes_decidable_by(user).filter(pk=dispute.pk).exists()


def credit_shares_of(user):
    """Active claims in which `user` holds a share of the credit without holding the customer."""
    return Claim.objects.active().filter(shared_with=user)
