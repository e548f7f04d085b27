from django import template
from django.db.models import Count

from visits.models import Visit
from visits.permissions import can_edit_visit, can_set_site

register = template.Library()


@register.inclusion_tag("visits/partials/timeline.html", takes_context=True)
def visit_timeline(context, customer, limit=20, read_only=False):
    """The customer's latest visits, newest first, for the card and the dossier (`read_only`: no links)."""
    visits = (
        Visit.objects.filter(customer=customer)
        .select_related("author")
        .annotate(revision_count=Count("revisions"))
        .with_checkin_far()
        .order_by("-started_at", "-pk")  # explicit: an aggregate query drops Meta.ordering
        .prefetch_related("objections", "contacts", "attachments")[:limit]
    )
    user = context["request"].user
    for visit in visits:
        visit.checkin_flag = visit.checkin_mark(is_far=visit.checkin_far)
    return {
        "visits": [(visit, not read_only and can_edit_visit(user, visit)) for visit in visits],
        "customer": customer,
        "read_only": read_only,
        "can_set_site": not read_only and can_set_site(user, customer),
    }
