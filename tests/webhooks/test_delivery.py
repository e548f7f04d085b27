"""Deliveries to a real receiver on 127.0.0.1: signed, retried with backoff, idempotent, switched off after
repeated failures, never sent for work that rolled back."""

import datetime
import json
import socket

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from claims.services import customer_register
from crm.models import Customer
from crm.webhooks import services
from crm.webhooks.delivery import backoff_seconds, delivery_attempt
from crm.webhooks.models import Delivery, DeliveryState, DisabledReason, Endpoint, Event
from crm.webhooks.services import emit, emit_many
from crm.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER
from crm.webhooks.tasks import deliver_task, webhook_retry_sweep_task

from .receiver import Receiver

pytestmark = pytest.mark.django_db


def emitted(callbacks, event=Event.CUSTOMER_REGISTERED, payload=None):
    """Emit inside the test's transaction, then run what the commit would (the tasks run eagerly)."""
    with callbacks(execute=True):
        (delivery,) = emit(event, payload or {"customer": {"id": 7, "name": "青岛杰航机械有限公司"}})
    delivery.refresh_from_db()
    return delivery


def test_a_delivery_is_signed_and_names_its_event_and_id(endpoint, receiver, django_capture_on_commit_callbacks):
    delivery = emitted(django_capture_on_commit_callbacks)
    (post,) = receiver.posts
    assert post["signed"]
    assert post["headers"][EVENT_HEADER] == "customer.registered"
    assert post["headers"][DELIVERY_HEADER] == str(delivery.id)
    body = json.loads(post["body"])
    assert body["event"] == "customer.registered" and body["data"]["customer"]["name"] == "青岛杰航机械有限公司"
    assert post["body"] == delivery.body.encode()  # what was signed is what is kept
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 1)
    attempt = delivery.log.get()
    assert (attempt.status_code, attempt.response, attempt.error) == (200, "ok", "")
    assert attempt.duration_ms >= 0


def test_a_failed_attempt_is_retried_until_the_receiver_takes_it(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500, 503, 200]
    delivery = emitted(django_capture_on_commit_callbacks)
    assert [attempt.status_code for attempt in delivery.log.all()] == [500, 503, 200]
    assert delivery.log.first().response == "refused 500"
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 3)
    # Three posts of one delivery: the same id each time, so the receiver takes it once.
    assert {post["headers"][DELIVERY_HEADER] for post in receiver.posts} == {str(delivery.id)}
    assert receiver.accepted == {str(delivery.id): 1}


def test_a_delivered_delivery_is_not_sent_again(endpoint, receiver, django_capture_on_commit_callbacks):
    delivery = emitted(django_capture_on_commit_callbacks)
    deliver_task.delay(str(delivery.id))
    assert delivery_attempt(str(delivery.id)) is None
    assert len(receiver.posts) == 1 and delivery.log.count() == 1


def test_backoff_doubles_up_to_its_maximum(settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS, settings.WEBHOOKS_RETRY_MAX_SECONDS = 60, 600
    assert [backoff_seconds(n) for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]


def test_the_next_attempt_waits_for_the_backoff(endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=False):
        (delivery,) = emit(Event.CUSTOMER_REGISTERED, {})
    before = timezone.now()
    assert delivery_attempt(str(delivery.id)) == 60
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at >= before + datetime.timedelta(seconds=60)


def test_after_the_last_attempt_the_delivery_has_failed(
    endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    receiver.answers = [500]
    delivery = emitted(django_capture_on_commit_callbacks)
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 3)
    assert len(receiver.posts) == 3 and not receiver.accepted
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1 and endpoint.is_active


def test_repeated_failed_deliveries_switch_the_endpoint_off_and_tell_the_admins(
    endpoint, receiver, settings, admin_client, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_MAX_ATTEMPTS, settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 2, 2
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        first, second, third = emit_many(Event.CUSTOMER_REGISTERED, [{"n": 1}, {"n": 2}, {"n": 3}])
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == DisabledReason.FAILURES
    states = [Delivery.objects.get(pk=pk).state for pk in (first, second, third)]
    assert states == [DeliveryState.FAILED, DeliveryState.FAILED, DeliveryState.CANCELLED]
    assert len(receiver.posts) == 4  # the third was cancelled before its first attempt
    entry = AuditEntry.objects.filter(action=AuditAction.WEBHOOK, detail__change="disabled").get()
    assert entry.actor is None and entry.detail["reason"] == "failures" and endpoint.url in entry.summary
    page = admin_client.get(reverse("webhooks:list"))
    assert endpoint.name in page.text and 'data-testid="disabled-alert"' in page.text
    assert emit(Event.CUSTOMER_REGISTERED, {}) == []  # nothing more goes to it


def test_a_delivered_event_starts_the_failure_count_again(
    endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    receiver.answers = [500, 200]
    emitted(django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1
    emitted(django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_receiver_that_is_down_is_an_error_recorded(make_endpoint, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    make_endpoint(f"http://127.0.0.1:{free_port()}/hook")
    delivery = emitted(django_capture_on_commit_callbacks)
    attempt = delivery.log.get()
    assert attempt.status_code is None and "refused" in attempt.error.lower()
    assert delivery.state == DeliveryState.FAILED


def test_a_slow_receiver_times_out(make_endpoint, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOKS_MAX_ATTEMPTS, settings.WEBHOOKS_TIMEOUT_SECONDS = 1, 0.3
    with Receiver(delay=1.5) as slow:
        slow.secret = make_endpoint(slow.url).secret
        delivery = emitted(django_capture_on_commit_callbacks)
    attempt = delivery.log.get()
    assert attempt.status_code is None and "timed out" in attempt.error
    assert attempt.duration_ms < 1500


def test_a_redirect_is_not_followed(endpoint, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    receiver.answers = [302]
    delivery = emitted(django_capture_on_commit_callbacks)
    assert delivery.log.get().status_code == 302 and delivery.state == DeliveryState.FAILED
    assert len(receiver.posts) == 1


def test_only_active_endpoints_subscribed_to_the_event_get_it(
    make_endpoint, receiver, admin_user, django_capture_on_commit_callbacks
):
    complaints_only = make_endpoint(receiver.url, events=[Event.COMPLAINT_OPENED], name="chat")
    switched_off = make_endpoint(receiver.url, events=[Event.CUSTOMER_REGISTERED], name="old")
    Endpoint.objects.filter(pk=switched_off.pk).update(is_active=False)
    assert emit(Event.CUSTOMER_REGISTERED, {}) == []
    assert [d.endpoint for d in emit(Event.COMPLAINT_OPENED, {})] == [complaints_only]


def test_an_unknown_event_is_refused_where_it_is_emitted():
    with pytest.raises(ValueError):
        emit("deal.wonn", {})


def test_the_deals_app_can_announce_a_won_deal(endpoint, receiver, django_capture_on_commit_callbacks):
    delivery = emitted(django_capture_on_commit_callbacks, Event.DEAL_WON, {"deal": {"id": 3, "amount": "1200000"}})
    assert delivery.state == DeliveryState.DELIVERED
    assert receiver.events() == [("deal.won", json.loads(delivery.body))]


def test_a_stalled_delivery_is_sent_by_the_sweep_once(endpoint, receiver, django_capture_on_commit_callbacks):
    """Its task was lost (the broker was down at commit): the sweep hands it out again, and only once."""
    with django_capture_on_commit_callbacks(execute=False):
        (delivery,) = emit(Event.CUSTOMER_REGISTERED, {})
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - datetime.timedelta(hours=1))
    assert webhook_retry_sweep_task() == 1
    assert webhook_retry_sweep_task() == 0
    assert receiver.accepted == {str(delivery.id): 1}


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_for_work_that_rolled_back(admin_user, rep):
    """Real commits: a registration rolled back leaves no delivery and sends nothing; one that commits is sent."""
    with Receiver() as receiver:
        endpoint = Endpoint.objects.create(
            name="ERP", url=receiver.url, events=[Event.CUSTOMER_REGISTERED], created_by=admin_user
        )
        receiver.secret = endpoint.secret
        with pytest.raises(RuntimeError), transaction.atomic():
            customer_register(customer=Customer(name="青岛回滚机械", phones="0532-81110000", need="车床"), actor=rep)
            assert Delivery.objects.count() == 1  # written with the registration...
            raise RuntimeError("the request failed after registering")
        assert Delivery.objects.count() == 0 and receiver.posts == []  # ...and gone with it, unsent
        customer_register(customer=Customer(name="青岛提交机械", phones="0532-81110001", need="车床"), actor=rep)
        assert [event for event, _ in receiver.events()] == ["customer.registered"]
        assert Delivery.objects.get().state == DeliveryState.DELIVERED


def test_many_payloads_are_written_a_batch_at_a_time(endpoint, monkeypatch, django_capture_on_commit_callbacks):
    """A sweep's thousands of payloads: each batch is in the database before the next payload is even read."""
    monkeypatch.setattr(services, "WRITE_BATCH", 2)
    written_when_read = []

    def payloads():
        for n in range(5):
            written_when_read.append(Delivery.objects.count())
            yield {"n": n}

    with django_capture_on_commit_callbacks(execute=False):
        ids = emit_many(Event.CUSTOMER_REGISTERED, payloads())
    assert written_when_read == [0, 0, 2, 2, 4]
    bodies = [json.loads(Delivery.objects.get(pk=pk).body)["data"]["n"] for pk in ids]
    assert bodies == [0, 1, 2, 3, 4]
