"""A rep's follow-ups as an iCalendar feed their phone subscribes to."""

import datetime
import secrets

import icalendar
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CalendarFeed, Reminder

FEED_PAST = datetime.timedelta(days=30)  # overdue items stay visible for a month
FEED_AHEAD = datetime.timedelta(days=90)


def calendar_feed_for(user) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
    return feed


@transaction.atomic
def calendar_feed_revoke(user) -> CalendarFeed:
    """A new address; the old one stops working at once (a lost phone, a shared link)."""
    feed = calendar_feed_for(user)
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = timezone.now()
    feed.save(update_fields=["token", "created_at"])
    return feed


def calendar_feed_ics(user, today=None) -> bytes:
    today = today or timezone.localdate()
    reminders = (
        Reminder.objects.open()
        .filter(assignee=user, due_on__range=(today - FEED_PAST, today + FEED_AHEAD))
        .select_related("customer")
        .order_by("due_on", "pk")
    )
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Sales CRM//follow-ups//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("CRM follow-ups"))
    stamp = timezone.now()
    for reminder in reminders:
        event = icalendar.Event()
        event.add("uid", f"reminder-{reminder.pk}@{settings.SITE_URL.split('://')[-1]}")
        event.add("dtstamp", stamp)
        event.add("dtstart", reminder.due_on)
        event.add("dtend", reminder.due_on + datetime.timedelta(days=1))
        event.add("summary", f"[{reminder.customer.grade}] {reminder.customer.name}: {reminder.get_kind_display()}")
        if reminder.note:
            event.add("description", reminder.note)
        event.add("url", settings.SITE_URL + reverse("visits:visit_create", args=[reminder.customer_id]))
        calendar.add_component(event)
    return calendar.to_ical()
