import datetime

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory
from visits.calendar import calendar_feed_for
from visits.models import Reminder, ReminderKind, ReminderState

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def feed_url(user):
    return reverse("visits:calendar_feed", args=[calendar_feed_for(user).token])


def test_feed_lists_open_follow_ups_as_all_day_events(client, rep, manager):
    today = timezone.localdate()
    customer = CustomerFactory(owner=rep, name="青岛杰航机械有限公司", grade="A")
    due = Reminder.objects.create(
        customer=customer, assignee=rep, kind=ReminderKind.NEXT_STEP, due_on=today, note="送样件"
    )
    Reminder.objects.create(
        customer=customer, assignee=rep, kind=ReminderKind.CADENCE, due_on=today, state=ReminderState.DONE
    )
    far_ahead = today + datetime.timedelta(days=400)
    Reminder.objects.create(customer=customer, assignee=rep, kind=ReminderKind.ONSITE, due_on=far_ahead)
    Reminder.objects.create(customer=customer, assignee=manager, kind=ReminderKind.ONSITE, due_on=today)
    response = client.get(feed_url(rep))  # no login: a phone calendar subscribes with the token alone
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    [event] = events
    assert event["uid"].startswith(f"reminder-{due.pk}@")
    assert event.decoded("dtstart") == today
    assert "青岛杰航机械有限公司" in str(event["summary"]) and "[A]" in str(event["summary"])
    assert str(event["description"]) == "送样件"
    assert str(event["url"]).endswith(reverse("visits:visit_create", args=[customer.pk]))


def test_wrong_or_revoked_token_is_refused(client, rep_client, rep):
    old = feed_url(rep)
    assert client.get(old.replace(".ics", "x.ics")).status_code == 404
    rep_client.post(reverse("visits:calendar"))
    assert client.get(old).status_code == 404
    assert client.get(feed_url(rep)).status_code == 200


@pytest.mark.parametrize("token", ["a%00b", "%00", "x" * 101])
def test_a_nul_or_an_over_long_token_is_not_found(client, rep, token):
    """A NUL reached PostgreSQL, which refused it: a server error for anyone, no login needed."""
    calendar_feed_for(rep)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 404
    assert response["X-Content-Type-Options"] == "nosniff"  # answered by the app, behind its security middleware


def test_departed_rep_feed_stops(client, rep):
    url = feed_url(rep)
    rep.mark_departed()
    assert client.get(url).status_code == 404


def test_each_person_sees_only_their_own_address(rep_client, rep, manager):
    page = rep_client.get(reverse("visits:calendar")).content.decode()
    assert calendar_feed_for(rep).token in page
    assert calendar_feed_for(manager).token not in page
