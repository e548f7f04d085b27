"""Posting a delivery (http.client, checking certificates against the system's CAs): one signed attempt at a
time, recorded, retried with backoff, given up after the last.

An endpoint whose deliveries keep failing is switched off, and the admins are told (audit log, webhooks page).
"""

import datetime
import http.client
import time
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts import audit
from accounts.models import AuditAction

from .models import RESPONSE_SNIPPET_CHARS, Attempt, Delivery, DeliveryState, DisabledReason, Endpoint
from .signing import ATTEMPT_HEADER, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_header

USER_AGENT = "industrial-crm-webhooks/1"


def _snippet(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").replace("\x00", "").strip()[:RESPONSE_SNIPPET_CHARS]


def _connection(url: str):
    parts = urlsplit(url)
    timeout = settings.WEBHOOKS_TIMEOUT_SECONDS
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def post(delivery: Delivery, attempt: int) -> dict:
    """One POST of the delivery's body; what came back, as the fields of an `Attempt`. A redirect is an answer
    like any other that is not 2xx: the signed body never goes on to an address no admin chose."""
    body = delivery.body.encode()
    parts = urlsplit(delivery.endpoint.url)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.id),
        ATTEMPT_HEADER: str(attempt),
        SIGNATURE_HEADER: signature_header(delivery.endpoint.secret, body),
    }
    started = time.monotonic()
    result = {"status_code": None, "error": "", "response": ""}
    connection = _connection(delivery.endpoint.url)
    try:
        connection.request("POST", urlunsplit(("", "", parts.path or "/", parts.query, "")), body, headers)
        response = connection.getresponse()
        result |= {"status_code": response.status, "response": _snippet(response.read(2048))}
    except (OSError, http.client.HTTPException) as error:  # refused, unreachable, timed out, TLS, a bad answer
        result["error"] = f"{type(error).__name__}: {error}"[:255]
    finally:
        connection.close()
    result["duration_ms"] = round((time.monotonic() - started) * 1000)
    return result


def backoff_seconds(attempts: int) -> int:
    """The pause after the `attempts`-th failed attempt: the base, doubled each time, up to the maximum."""
    return min(settings.WEBHOOKS_RETRY_BASE_SECONDS * 2 ** (attempts - 1), settings.WEBHOOKS_RETRY_MAX_SECONDS)


# What the audit log says of each change to an endpoint (in the site's language: admins read it in one).
CHANGES = {
    "created": _("Webhook endpoint created"),
    "enabled": _("Webhook endpoint enabled"),
    "secret_rotated": _("Webhook signing secret replaced"),
    "disabled": _("Webhook endpoint disabled"),
}


def audit_change(endpoint: Endpoint, *, change: str, actor=None, **detail) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        summary = f"{CHANGES[change]}: {endpoint.name} ({endpoint.url})"
        if detail.get("reason"):
            summary += f" · {DisabledReason(detail['reason']).label}"
    audit.record(
        AuditAction.WEBHOOK, actor=actor, subject=endpoint, summary=summary,
        detail={"change": change, "url": endpoint.url, "events": endpoint.events, **detail},
    )  # fmt: skip


def switch_off(endpoint: Endpoint, *, reason: str, actor=None) -> None:
    """Stop sending to `endpoint` (locked by the caller): its pending deliveries are cancelled, the audit log says
    who or what switched it off."""
    now = timezone.now()
    endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    endpoint.deliveries.pending().update(state=DeliveryState.CANCELLED, finished_at=now)
    audit_change(endpoint, change="disabled", actor=actor, reason=reason, failures=endpoint.consecutive_failures)


def _count_failure(endpoint_pk: int) -> None:
    """A delivery was given up: one more in a row; at the limit the endpoint is switched off."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint_pk)
    endpoint.consecutive_failures = F("consecutive_failures") + 1
    endpoint.save(update_fields=["consecutive_failures"])
    endpoint.refresh_from_db(fields=["consecutive_failures"])
    if endpoint.is_active and endpoint.consecutive_failures >= settings.WEBHOOKS_DISABLE_AFTER_FAILURES:
        switch_off(endpoint, reason=DisabledReason.FAILURES)


def delivery_attempt(delivery_id: str) -> int | None:
    """Post a pending delivery once and record what happened. Returns the seconds to wait before trying again
    when the attempt failed and attempts are left; None when there is nothing more to do: delivered, given up,
    cancelled, or not pending at all (a re-run of a delivered delivery sends nothing).

    The delivery's row is locked for the attempt (SKIP LOCKED): two workers handed the same delivery never post it
    at the same time; the second finds nothing to do.
    """
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, state=DeliveryState.PENDING)
            .first()
        )
        if delivery is None:
            return None
        if not delivery.endpoint.is_active:
            delivery.state, delivery.finished_at = DeliveryState.CANCELLED, timezone.now()
            delivery.save(update_fields=["state", "finished_at"])
            return None
        number = delivery.attempts + 1
        attempt = Attempt.objects.create(delivery=delivery, number=number, **post(delivery, number))
        now = timezone.now()
        delivery.attempts = number
        retry_in = None
        if attempt.succeeded:
            delivery.state, delivery.finished_at = DeliveryState.DELIVERED, now
            Endpoint.objects.filter(pk=delivery.endpoint_id, consecutive_failures__gt=0).update(consecutive_failures=0)
        elif number >= settings.WEBHOOKS_MAX_ATTEMPTS:
            delivery.state, delivery.finished_at = DeliveryState.FAILED, now
            _count_failure(delivery.endpoint_id)
        else:
            retry_in = backoff_seconds(number)
            delivery.next_attempt_at = now + datetime.timedelta(seconds=retry_in)
        delivery.save(update_fields=["attempts", "state", "finished_at", "next_attempt_at"])
    return retry_in


def stalled_deliveries(now=None) -> list[str]:
    """Pending deliveries whose next attempt is overdue by WEBHOOKS_STALLED_MINUTES: their task never ran (the broker
    was down when they were emitted, a worker vanished with the retry). Their next attempt is set to now, so that a
    queue that is merely slow does not get them again at the next sweep."""
    now = now or timezone.now()
    grace = datetime.timedelta(minutes=settings.WEBHOOKS_STALLED_MINUTES)
    with transaction.atomic():
        stalled = Delivery.objects.stalled(now, grace).select_for_update(skip_locked=True).order_by("next_attempt_at")
        ids = list(stalled.values_list("pk", flat=True)[:1000])
        Delivery.objects.filter(pk__in=ids).update(next_attempt_at=now)
    return [str(pk) for pk in ids]
