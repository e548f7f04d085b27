"""What visits announce to apps built on top of them (claims renews protection), inside the same transaction."""

from django.dispatch import Signal

# Sent by visit_log after the visit and the customer's dates are saved; args: visit, customer.
visit_logged = Signal()
