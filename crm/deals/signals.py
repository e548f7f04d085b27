"""What deals announce to the apps built on them, inside the same transaction."""

from django.dispatch import Signal

# Sent by opportunity_win after the purchase is recorded and the customer is an active customer;
# args: opportunity, customer, actor. Claims lengthens the holder's protection (DOMAIN §5.3).
deal_won = Signal()

# Sent whenever a deal's next step (what, when, who) is set or changed; args: opportunity.
# Visits turns it into a follow-up reminder on the owner's day.
deal_next_step_set = Signal()
