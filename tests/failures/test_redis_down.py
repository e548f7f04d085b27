"""Redis down: pages and visit logs go on, enqueueing says no at once, healthz says which part is down.

Each test runs its own redis-server, points this process's Celery app at it and kills it; the shared
Redis is never touched.
"""

import datetime
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.tasks import enqueue, heartbeat
from tests.factories import ContactFactory, CustomerFactory
from visits.models import ReminderKind

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def dead_broker(celery_on_private_redis):
    celery_on_private_redis.kill()
    assert not celery_on_private_redis.answers()
    return celery_on_private_redis


def test_pages_and_a_visit_log_work_with_the_broker_down(dead_broker, client, rep, manager):
    customer = CustomerFactory(owner=rep, grade="B")
    contact = ContactFactory(customer=customer, is_primary=True)
    client.force_login(rep)
    for url in (
        reverse("visits:day"),
        reverse("crm:customer_list"),
        reverse("crm:customer_detail", args=[customer.pk]),
        reverse("visits:visit_create", args=[customer.pk]),
    ):
        assert client.get(url).status_code == 200, url

    today = timezone.localdate()
    response = client.post(
        reverse("visits:visit_create", args=[customer.pk]),
        {"method": "onsite", "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
         "contacts": [contact.pk], "discussion": "看了五轴样机", "next_step": "发报价",
         "next_step_due": (today + datetime.timedelta(days=2)).isoformat()},
    )  # fmt: skip

    assert response.status_code == 302
    visit = customer.visits.get()
    assert list(visit.contacts.all()) == [contact]
    # The visit's own reminders are written in its transaction; only the morning sweep's wait for the worker.
    assert {(r.kind, r.due_on) for r in customer.reminders.all()} == {
        (ReminderKind.NEXT_STEP, today + datetime.timedelta(days=2)),
        (ReminderKind.THANK_YOU, today + datetime.timedelta(days=1)),
        (ReminderKind.PHONE_FOLLOW_UP, today + datetime.timedelta(days=3)),
    }
    customer.refresh_from_db()
    assert customer.last_contact_on == today

    client.force_login(manager)
    board = client.get(reverse("board:board"))
    assert board.status_code == 200
    assert rep in [row.person for row in board.context["figures"].rows]


def test_enqueue_says_no_at_once_while_the_broker_is_down_and_recovers_with_it(celery_on_private_redis):
    broker = celery_on_private_redis
    assert enqueue(heartbeat) is True
    assert broker.client().llen("celery") == 1  # the message waits in the queue for a worker

    broker.kill()
    started = time.monotonic()
    sent = enqueue(heartbeat)
    print(f"enqueue gave up after {time.monotonic() - started:.2f} s")
    assert sent is False

    broker.start()  # the same port, as after a restart of Redis
    assert enqueue(heartbeat) is True  # no restart of the web needed
    assert broker.client().llen("celery") == 1


def test_healthz_says_the_broker_is_down_and_the_web_up(celery_on_private_redis, client):
    assert client.get(reverse("healthz")).content == b"db ok, broker ok"
    celery_on_private_redis.kill()
    response = client.get(reverse("healthz"))
    # 200: the web serves its pages and must not be restarted for a broker outage.
    assert (response.status_code, response.content) == (200, b"db ok, broker down")
