from django import template

from crm.dates import age_text, days_since

register = template.Library()


@register.filter
def age(moment):
    """{{ dispute.opened_at|age }}: "today", "yesterday", "3 days ago" (local calendar days)."""
    return age_text(days_since(moment))
