from django import template
from django.utils import timezone

from .. import permissions
from ..models import Claim, OwnershipEvent, OwnershipPolicy
from ..services import claimable_from

register = template.Library()


@register.inclusion_tag("claims/partials/ownership_panel.html", takes_context=True)
def ownership_panel(context, customer, for_print=False, limit=30, read_only=False):
    """Who owns the customer, until when, and how ownership changed: for the card and (limit=None) the dossier.
    `read_only` (a rep who holds only a credit share) offers no action and no link.

    A few queries (active claim, policy, history, a pool customer's wait), however long the history.
    """
    user = context["request"].user
    claim = Claim.objects.active().filter(customer=customer).select_related("holder", "shared_with").first()
    days_left = lapsing = None
    if claim:
        days_left = (claim.protected_until - timezone.localdate()).days
        lapsing = days_left <= OwnershipPolicy.current().warning_days
    events = OwnershipEvent.objects.filter(customer=customer).select_related(
        "actor", "from_user", "to_user", "dispute__holder", "dispute__challenger"
    )
    events = list(events if limit is None else events[: limit + 1])
    holds = customer.owner_id is not None
    claiming = not read_only and not holds and permissions.can_claim(user)
    return {
        "customer": customer,
        "claim": claim,
        "days_left": days_left,
        "lapsing": lapsing,
        "events": events[:limit],
        "more_events": limit is not None and len(events) > limit,
        "for_print": for_print,
        "read_only": read_only,
        "can_claim": claiming,
        "claimable_from": claimable_from(customers=[customer], rep=user).get(customer.pk) if claiming else None,
        "claim_next": context["request"].get_full_path(),  # a refused claim comes back to this card
        # The rules the services check, to offer only the buttons that will be accepted.
        "can_release": not read_only and permissions.can_release(user, customer),
        "can_transfer": not read_only and permissions.can_transfer(user, customer),
        "can_dispute": not read_only and permissions.offers_dispute(user, customer),
    }
