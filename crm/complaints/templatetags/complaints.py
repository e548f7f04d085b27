from django import template

from ..models import Complaint

register = template.Library()


@register.inclusion_tag("complaints/partials/customer_complaints.html")
def customer_complaints(customer, for_print=False, limit=10, read_only=False):
    """The customer's complaints, newest first: for the card, and (for_print, limit=None) the dossier. One query.
    `read_only`: no actions and no links, for someone who may read the card but not the complaints."""
    complaints = Complaint.objects.filter(customer=customer).order_by("-received_at", "-pk")
    complaints = list(complaints if limit is None else complaints[: limit + 1])
    return {
        "customer": customer,
        "complaints": complaints[:limit],
        "more": limit is not None and len(complaints) > limit,
        "for_print": for_print,
        "read_only": read_only,
    }
