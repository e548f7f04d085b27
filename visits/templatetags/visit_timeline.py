from django import template
from django.db.models import Count

from visits.models import Visit
from visits.permissions import can_edit_visit

register = template.Library()


@register.inclusion_tag("visits/partials/timeline.html", takes_context=True)
def visit_timeline(context, customer, limit=20, read_only=False):
    """The customer's latest visits, newest first, for the card and the dossier (`read_only`: no links)."""
    visits = (
        Visit.objects.filter(customer=customer)
        .select_related("author")
        .annotate(revision_count=Count("revisions"))
        .order_by("-started_at", "-pk")  # explicit: an aggregate query drops Meta.ordering
        .prefetch_related("objections", "contacts")[:limit]
    )
    user = context["request"].user
    return {
        "visits": [(visit, not read_only and can_edit_visit(user, visit)) for visit in visits],
        "customer": customer,
        "read_only": read_only,
    }
