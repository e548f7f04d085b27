"""The nightly ownership sweep: warn owners before protection lapses, then return lapsed customers to the pool.

Set-based and safe to repeat: the lapse is one UPDATE of the active claims past
their day, tagged with this run's id, and the history, pool flags, reminders
and notifications are written for exactly the rows that UPDATE took. A second
sweep, or one running at the same time, finds those claims ended and takes
nothing; the warnings are unique per claim and protected day.
"""

import datetime
import uuid

from django.db import transaction
from django.db.models import Value
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import AuditAction
from crm.models import Customer, Notification, NotificationKind, PoolReason
from crm.sql import insert_from_select
from crm.webhooks.models import Event
from crm.webhooks.services import emit_many
from visits.models import Reminder, ReminderKind, ReminderState

from .models import Claim, EndReason, EventKind, OwnershipEvent, OwnershipPolicy
from .services import ownership_change_payload


def lapse_warnings(today=None) -> int:
    """A reminder on the owner's day list and a history row, once per claim and protected day."""
    today = today or timezone.localdate()
    policy = OwnershipPolicy.current()
    now = timezone.now()
    lapsing = Claim.objects.active().filter(
        protected_until__gte=today, protected_until__lte=today + datetime.timedelta(days=policy.warning_days)
    )
    with transaction.atomic():
        warned = insert_from_select(
            OwnershipEvent,
            ["customer", "claim", "kind", "at", "to_user", "protected_until", "reason"],
            lapsing.annotate(e_kind=Value(EventKind.WARNED), e_at=Value(now), e_reason=Value("")).values_list(
                "customer", "pk", "e_kind", "e_at", "holder", "protected_until", "e_reason"
            ),
        )
        insert_from_select(
            Reminder,
            ["customer", "assignee", "kind", "due_on", "state", "note", "dismissed_reason", "created_at"],
            lapsing.annotate(
                r_kind=Value(ReminderKind.CLAIM_LAPSING),
                r_state=Value(ReminderState.OPEN),
                r_blank=Value(""),
                r_at=Value(now),
            ).values_list("customer", "holder", "r_kind", "protected_until", "r_state", "r_blank", "r_blank", "r_at"),
        )
    return warned


def lapse_sweep(today=None) -> int:
    """Claims whose last protected day is past end; their customers return to the pool (DOMAIN rule 3)."""
    today = today or timezone.localdate()
    now = timezone.now()
    run = uuid.uuid4()
    with transaction.atomic():
        lapsed = Claim.objects.lapsing_by(today).update(ended_at=now, end_reason=EndReason.LAPSED, ended_by_run=run)
        if not lapsed:
            return 0
        taken = Claim.objects.filter(ended_by_run=run)
        insert_from_select(
            OwnershipEvent,
            ["customer", "claim", "kind", "at", "from_user", "protected_until", "reason"],
            taken.annotate(e_kind=Value(EventKind.LAPSED), e_at=Value(now), e_reason=Value("")).values_list(
                "customer", "pk", "e_kind", "e_at", "holder", "protected_until", "e_reason"
            ),
        )
        audit.record(
            AuditAction.OWNERSHIP,
            summary=f"{EventKind.LAPSED.label}: {lapsed}",
            detail={"kind": EventKind.LAPSED, "run": str(run), "claims": lapsed},
        )
        customers = Customer.objects.filter(pk__in=taken.values("customer"))
        customers.update(owner=None, pool_since=now, pool_reason=PoolReason.LAPSED, updated_at=now)
        Reminder.objects.open().filter(customer__in=taken.values("customer")).update(
            state=ReminderState.DISMISSED, dismissed_reason=str(PoolReason.LAPSED.label), closed_at=now
        )
        insert_from_select(
            Notification,
            ["user", "kind", "customer", "detail", "link", "created_at"],
            taken.annotate(
                n_kind=Value(NotificationKind.CLAIM_LAPSED),
                n_detail=Value(""),
                n_link=Value(reverse("claims:pool")),
                n_at=Value(now),
            ).values_list("holder", "n_kind", "customer", "n_detail", "n_link", "n_at"),
        )
        emit_many(Event.OWNERSHIP_CHANGED, _lapse_announcements(taken))
    return lapsed


def _lapse_announcements(taken):
    """`ownership.changed` for each lapsed claim (read only when an endpoint wants the event)."""
    for claim in taken.select_related("customer", "holder").order_by("pk").iterator(chunk_size=2000):
        yield ownership_change_payload(customer=claim.customer, kind=EventKind.LAPSED, by=None, from_user=claim.holder)


def ownership_sweep(today=None) -> dict:
    return {"warned": lapse_warnings(today), "lapsed": lapse_sweep(today)}
