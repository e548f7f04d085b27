"""`{% load formatting %}`: the filters that write dates, amounts, percentages and phone numbers (crm/formatting.py).

Every one takes None or "" to "", so `|default:"—"` marks a missing value."""

from django import template
from django.utils import timezone

from crm import formatting

register = template.Library()

for _name in (
    "full_date",
    "date_time",
    "iso_date",
    "iso_date_time",
    "money",
    "money_summary",
    "percent",
    "number",
    "phone",
    "tel",
    "phone_numbers",
):
    register.filter(_name, getattr(formatting, _name), is_safe=False)


@register.filter
def short_date(value, today=None):
    """{{ reminder.due_on|short_date }}: 18 Nov · 11月18日; another year's date in full."""
    return formatting.short_date(value, today)


@register.filter
def short_date_time(value, today=None):
    """{{ complaint.received_at|short_date_time }}: 18 Nov 16:00 · 11月18日 16:00; another year's in full."""
    return formatting.short_date_time(value, today)


@register.filter
def time_range(start, end):
    """{{ visit.started_at|time_range:visit.ended_at }}: 18 Nov 2026 14:00 – 16:00."""
    return formatting.time_range(start, end)


@register.simple_tag
def now_date_time():
    """{% now_date_time %}: this moment, as date_time (when a PDF was printed)."""
    return formatting.date_time(timezone.now())


@register.filter
def relative_due(due, today=None):
    """{{ reminder.due_on|relative_due }} or {{ due|relative_due:card.today }}: "3 days overdue", "Due today"."""
    return formatting.relative_due(due, today)


@register.filter
def age(moment, today=None):
    """{{ dispute.opened_at|age }}: "today", "yesterday", "3 days ago" (local calendar days)."""
    return formatting.age(moment, today)
