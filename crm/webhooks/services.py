"""Emitting events to the registered endpoints, and the admins' endpoint actions.

Other apps call `emit(event, payload)` (or `emit_many`) inside the transaction of the change they announce. The
deliveries are rows of that transaction, and their tasks are sent once it commits (`transaction.on_commit`): work
that is rolled back sends nothing, and a delivery whose task is lost is still in the table for the retry sweep.

The payload is the emitting app's: a JSON-serialisable dict, built with `customer_ref` and `user_ref` where it
names a customer or a person, so receivers read them the same way in every event. The deals app announces a
closed deal with `emit(Event.DEAL_WON, {"deal": {...}, "customer": customer_ref(customer)})` (or DEAL_LOST).
"""

import json
import uuid
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from crm.models import Customer
from crm.tasks import enqueue

from .delivery import audit_change, switch_off
from .models import Delivery, DisabledReason, Endpoint, Event, new_secret
from .permissions import can_manage_webhooks
from .tasks import deliver_task

# --- what events say about customers and people ---------------------------------------------------------


def user_ref(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": user.get_full_name() or user.get_username()}


def customer_ref(customer: Customer) -> dict:
    """The customer as every event names it; `owner` is who holds it now (None: the pool)."""
    return {
        "id": customer.pk,
        "name": customer.name,
        "credit_code": customer.credit_code,
        "grade": customer.grade,
        "status": customer.status,
        "owner": user_ref(customer.owner) if customer.owner_id else None,
        "url": settings.SITE_URL + reverse("crm:customer_detail", args=[customer.pk]),
    }


# --- emitting -------------------------------------------------------------------------------------------


def _body(event: str, payload: dict, at) -> str:
    envelope = {"id": str(uuid.uuid4()), "event": event, "occurred_at": at, "data": payload}
    return json.dumps(envelope, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _send_after_commit(ids: list[str]) -> None:
    def send():
        for delivery_id in ids:
            if not enqueue(deliver_task, delivery_id):
                return  # the broker is out of reach: the retry sweep sends them once it is back

    # Robust: the change is committed whatever happens here; a delivery left unsent is the sweep's.
    transaction.on_commit(send, robust=True)


WRITE_BATCH = 1000  # deliveries written at a time: a sweep's thousands of payloads are never all held at once


def _written(event: str, payloads: Iterable[dict]) -> Iterator[list[Delivery]]:
    """One delivery of each payload to each active endpoint subscribed to `event`, written a batch at a time;
    yields each written batch. `payloads` is read only when an endpoint wants the event (it may be a generator
    that queries). Each payload has one event id (`id` in the body), the same for every endpoint."""
    event = Event(event)  # a misspelt event fails here, in the emitting app's tests
    endpoints = [endpoint for endpoint in Endpoint.objects.active().only("events") if endpoint.subscribes_to(event)]
    if not endpoints:
        return
    now = timezone.now()
    batch = []
    for payload in payloads:
        body = _body(event, payload, now)
        batch += [
            Delivery(endpoint=endpoint, event=event, body=body, created_at=now, next_attempt_at=now)
            for endpoint in endpoints
        ]
        if len(batch) >= WRITE_BATCH:
            yield Delivery.objects.bulk_create(batch)
            batch = []
    if batch:
        yield Delivery.objects.bulk_create(batch)


def emit_many(event: str, payloads: Iterable[dict]) -> list[str]:
    """Announce `event` once per payload (see `_written`), sent once the caller's transaction commits; returns
    the deliveries' ids."""
    ids = [str(delivery.pk) for batch in _written(event, payloads) for delivery in batch]
    if ids:
        _send_after_commit(ids)
    return ids


def emit(event: str, payload: dict) -> list[Delivery]:
    """Announce `event` with `payload` to the endpoints that subscribe to it, once the current transaction
    commits (nothing is sent if it rolls back)."""
    deliveries = [delivery for batch in _written(event, [payload]) for delivery in batch]
    if deliveries:
        _send_after_commit([str(delivery.pk) for delivery in deliveries])
    return deliveries


# --- the admins' actions --------------------------------------------------------------------------------


def _check(actor: User) -> None:
    if not can_manage_webhooks(actor):
        raise PermissionDenied


@transaction.atomic
def endpoint_create(*, endpoint: Endpoint, actor: User) -> Endpoint:
    """Register an address for events; its signing secret is made here and shown to the admin."""
    _check(actor)
    endpoint.created_by, endpoint.secret = actor, new_secret()
    endpoint.full_clean()
    endpoint.save()
    audit_change(endpoint, change="created", actor=actor)
    return endpoint


@transaction.atomic
def endpoint_disable(*, endpoint: Endpoint, actor: User) -> Endpoint:
    """Stop sending to the endpoint; what was still to be sent is cancelled."""
    _check(actor)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.is_active:
        switch_off(endpoint, reason=DisabledReason.ADMIN, actor=actor)
    return endpoint


@transaction.atomic
def endpoint_enable(*, endpoint: Endpoint, actor: User) -> Endpoint:
    """Send again, from the next event on (deliveries cancelled meanwhile are not sent); the failure count
    starts again from zero."""
    _check(actor)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not endpoint.is_active:
        endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = True, None, ""
        endpoint.consecutive_failures = 0
        endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "consecutive_failures"])
        audit_change(endpoint, change="enabled", actor=actor)
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: Endpoint, actor: User) -> Endpoint:
    """A new signing secret, from the next attempt on (the receiver must be given it)."""
    _check(actor)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    audit_change(endpoint, change="secret_rotated", actor=actor)
    return endpoint
