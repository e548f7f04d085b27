"""Endpoints admins register, and the deliveries of each event to each of them, attempt by attempt."""

import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

RESPONSE_SNIPPET_CHARS = 500


class Event(models.TextChoices):
    """The events a receiver may subscribe to; the value is the name sent in the body and the header."""

    CUSTOMER_REGISTERED = "customer.registered", _("Customer registered")
    OWNERSHIP_CHANGED = "ownership.changed", _("Ownership changed")
    DISPUTE_DECIDED = "dispute.decided", _("Dispute decided")
    COMPLAINT_OPENED = "complaint.opened", _("Complaint opened")
    COMPLAINT_OVERDUE = "complaint.overdue", _("Complaint overdue")
    # Emitted by the deals app (built separately) when a deal closes: `emit(Event.DEAL_WON, payload)`.
    DEAL_WON = "deal.won", _("Deal won")
    DEAL_LOST = "deal.lost", _("Deal lost")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def validate_endpoint_url(url: str) -> None:
    """HTTPS only: the body names customers and people. Plain HTTP to this machine is allowed for development
    and the tests (DEBUG or WEBHOOKS_ALLOW_HTTP_LOCAL)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    local = parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if local and (settings.DEBUG or settings.WEBHOOKS_ALLOW_HTTP_LOCAL):
        return
    raise ValidationError(_("The address must start with https://."), code="https")


class EndpointQuerySet(models.QuerySet):
    def active(self):
        """Endpoints that receive deliveries."""
        return self.filter(is_active=True)

    def disabled_for_failures(self):
        """Endpoints the app turned off after repeated failed deliveries: admins are told on the page."""
        return self.filter(is_active=False, disabled_reason=DisabledReason.FAILURES)


class DisabledReason(models.TextChoices):
    ADMIN = "admin", _("Disabled by an admin")
    FAILURES = "failures", _("Disabled after repeated failed deliveries")


class Endpoint(models.Model):
    """An address that receives the events it subscribes to, signed with its secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("address"), max_length=500, validators=[validate_endpoint_url])
    # Kept as it is (not hashed): every delivery is signed with it.
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret, editable=False)
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("failed deliveries in a row"), default=0, editable=False)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(
        _("why disabled"), max_length=10, choices=DisabledReason.choices, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.name

    def clean(self):
        if not (isinstance(self.events, list) and self.events and set(self.events) <= set(Event.values)):
            raise ValidationError({"events": _("Choose at least one event.")})

    def subscribes_to(self, event: str) -> bool:
        return event in self.events

    def get_events_display(self) -> list[str]:
        return [Event(value).label for value in Event.values if value in self.events]


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled: endpoint disabled")


class DeliveryQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=DeliveryState.PENDING)

    def stalled(self, now, grace):
        """Pending deliveries whose next attempt is overdue by more than `grace`: their task was lost (a broker
        outage when they were sent, a worker gone with its retry)."""
        return self.pending().filter(next_attempt_at__lte=now - grace)


class Delivery(models.Model):
    """One event for one endpoint. Its id goes out as `X-CRM-Delivery`, the same on every attempt, so a receiver
    that sees it twice knows it is the same delivery."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        Endpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    # The same body, byte for byte, on every attempt: what the signature covers.
    body = models.TextField(_("body"))
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_log"),
            models.Index(fields=["next_attempt_at"], name="webhooks_delivery_pending", condition=Q(state="pending")),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id} ({self.id})"


class Attempt(models.Model):
    """One post of a delivery: what the receiver answered (or why there was no answer) and how long it took."""

    delivery = models.ForeignKey(Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=255, blank=True)
    response = models.TextField(_("response"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhooks_attempt_once")]

    def __str__(self):
        return f"{self.delivery_id} #{self.number}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
