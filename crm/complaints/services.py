"""Recording complaints and moving them through their workflow; every step is kept."""

import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from crm.models import Contact, Customer, Grade, Notification, NotificationKind
from crm.services import lock, notify
from crm.sql import insert_from_select
from crm.webhooks.models import Event
from crm.webhooks.services import customer_ref, emit, emit_many, user_ref

from .models import COMPLAINT_EDITED, TRANSITIONS, Complaint, ComplaintEvent, State
from .permissions import can_assign_complaint, can_handle_complaint, can_record_complaint

# What a step needs before it is allowed: the field and the message that asks for it.
REQUIRED_FOR = {
    State.RESOLVED: (
        "resolution_actions",
        gettext_lazy("Write what was done for the customer before marking it resolved."),
    ),
    State.CLOSED: (
        "customer_response",
        gettext_lazy("Record the customer's response before closing: closed means they accepted."),
    ),
}
STEP_FIELDS = {field for field, _message in REQUIRED_FOR.values()}


def _link(complaint):
    return reverse("complaints:detail", args=[complaint.pk])


def _webhook_payload(complaint: Complaint) -> dict:
    """What `complaint.opened` and `complaint.overdue` tell receivers (the company chat's bot, the ERP)."""
    return {
        "complaint": {
            "id": complaint.pk,
            "category": complaint.category,
            "severity": complaint.severity,
            "state": complaint.state,
            "received_at": complaint.received_at,
            "respond_by": complaint.respond_by,
            "reference": complaint.reference,
            "description": complaint.description,
            "assignee": user_ref(complaint.assignee),
            "url": settings.SITE_URL + _link(complaint),
        },
        "customer": customer_ref(complaint.customer),
    }


def _manager_of(user):
    team = user.team if user and user.team_id else None
    return team.manager if team and team.manager_id else None


def _check_assignee(complaint: Complaint, actor: User) -> None:
    """A complaint goes to someone the actor may hand work to (the form offers only them)."""
    if not can_assign_complaint(actor, complaint.assignee):
        raise ValidationError({"assignee": _("Choose a current member of your team.")})


@transaction.atomic
def complaint_record(*, complaint: Complaint, actor: User) -> Complaint:
    """Any rep who can see the customer records a complaint; the owner always hears of it, and at once for an A."""
    customer = Customer.objects.filter(pk=complaint.customer_id).select_related("owner").first()
    if customer is None or not can_record_complaint(actor, customer):
        raise PermissionDenied
    if complaint.assignee_id:
        _check_assignee(complaint, actor)
    if complaint.complainant_id and complaint.complainant.customer_id != customer.pk:
        raise ValidationError({"complainant": _("Choose one of this customer's contacts.")})
    complaint.assignee_id = complaint.assignee_id or customer.owner_id or actor.pk
    complaint.created_by = actor
    complaint.respond_by = complaint.deadline_from()
    complaint.full_clean()
    complaint.save()
    ComplaintEvent.objects.create(complaint=complaint, to_state=State.OPEN, actor=actor)
    complaint.customer = customer
    emit(Event.COMPLAINT_OPENED, _webhook_payload(complaint))
    owner, link = customer.owner, _link(complaint)
    if customer.grade != Grade.A:  # an A customer's owner hears through the alert below
        notify([owner] if owner and owner.pk != actor.pk else [], kind=NotificationKind.COMPLAINT_RECORDED,
               customer=customer, detail=complaint.description[:255], link=link)  # fmt: skip
    if complaint.assignee_id not in (actor.pk, customer.owner_id):
        notify([complaint.assignee], kind=NotificationKind.COMPLAINT_ASSIGNED, customer=customer, link=link)
    if customer.grade == Grade.A:
        notify([owner, _manager_of(owner)], kind=NotificationKind.COMPLAINT_ON_A_CUSTOMER, customer=customer,
               detail=complaint.description[:255], link=link)  # fmt: skip
    return complaint


def _record_edit(complaint: Complaint, actor: User, changed: list[str]) -> None:
    """An edit in the history, its fields named in each reader's language."""
    ComplaintEvent.objects.create(
        complaint=complaint, from_state=complaint.state, to_state=complaint.state, actor=actor,
        reason_code=COMPLAINT_EDITED, reason_params={"fields": list(changed)},
    )  # fmt: skip


def _fill_step_fields(complaint: Complaint, actor: User, typed: dict[str, str]) -> None:
    """Write what a step needs, typed with the step (the resolution actions, the customer's response): an edit."""
    if unknown := set(typed) - STEP_FIELDS:
        raise ValueError(f"not a field a step needs: {sorted(unknown)}")
    changed = []
    for name, value in typed.items():
        value = value.strip()
        try:
            ProhibitNullCharactersValidator()(value)  # straight from the request; PostgreSQL refuses NUL
            value = Complaint._meta.get_field(name).clean(value, complaint)
        except ValidationError as error:
            raise ValidationError({name: error.messages}) from error
        if value and value != getattr(complaint, name):
            setattr(complaint, name, value)
            changed.append(name)
    if changed:
        complaint.save(update_fields=changed)
        _record_edit(complaint, actor, changed)


@transaction.atomic
def complaint_move(
    *, complaint: Complaint, actor: User, to_state: str, note: str = "", fields: dict[str, str] | None = None
) -> Complaint:
    """One step of open → investigating → resolved → closed (or back to open), if its conditions hold.

    `fields` carries what a step needs when it is typed with the step (see REQUIRED_FOR); it is saved as an
    edit before the step, and like the step only if the step is taken.
    """
    complaint = lock(Complaint, complaint.pk)
    if not can_handle_complaint(actor, complaint):
        raise PermissionDenied
    if to_state not in TRANSITIONS[complaint.state]:
        raise ValidationError(
            _("A complaint that is %(now)s cannot be moved to %(to)s.")
            % {"now": complaint.get_state_display(), "to": State(to_state).label if to_state in State.values else "?"}
        )
    _fill_step_fields(complaint, actor, fields or {})
    required = REQUIRED_FOR.get(to_state)
    if required and not getattr(complaint, required[0]).strip():
        raise ValidationError({required[0]: required[1]})
    note = note.strip()
    ProhibitNullCharactersValidator()(note)  # the note comes straight from the request; PostgreSQL refuses NUL
    now = timezone.now()
    if to_state == State.OPEN:
        if not note:
            raise ValidationError({"note": _("Say why the complaint is reopened.")})
        # A reopened complaint is answered again, within its severity's time from now.
        complaint.responded_at, complaint.overdue_alerted_at = None, None
        complaint.respond_by = complaint.deadline_from(start=now)
    elif complaint.responded_at is None:
        complaint.responded_at = now
    from_state = complaint.state
    complaint.state = to_state
    complaint.save()
    ComplaintEvent.objects.create(complaint=complaint, from_state=from_state, to_state=to_state, actor=actor, note=note)
    return complaint


@transaction.atomic
def complaint_update(*, complaint: Complaint, actor: User, changed: list[str]) -> Complaint:
    """Save what the team learned or did; the edit is a step in the history, and a new assignee hears."""
    current = lock(Complaint, complaint.pk)
    if not can_handle_complaint(actor, current):
        raise PermissionDenied
    if not changed:
        return current
    if "assignee" in changed and complaint.assignee_id != current.assignee_id:
        _check_assignee(complaint, actor)
    fields = [name for name in changed if name != "assignee"]
    if "assignee" in changed:
        fields.append("assignee")
    if "severity" in changed and current.responded_at is None:
        complaint.respond_by = complaint.deadline_from(start=current.received_at)
        fields.append("respond_by")
    complaint.state = current.state  # a step someone took meanwhile stands
    complaint.save(update_fields=fields)
    _record_edit(complaint, actor, changed)
    if "assignee" in changed and complaint.assignee_id != actor.pk:
        notify([complaint.assignee], kind=NotificationKind.COMPLAINT_ASSIGNED, customer=complaint.customer,
               link=_link(complaint))  # fmt: skip
    return complaint


def complaint_links():
    """The detail URL of each complaint row, built in SQL: /complaints/<pk>/."""
    marker = "987654321"
    prefix, suffix = reverse("complaints:detail", args=[marker]).split(marker)
    return Concat(Value(prefix), Cast("pk", CharField()), Value(suffix), output_field=CharField())


def complaint_deadline_alerts(now=None) -> int:
    """Flag complaints past their response deadline and tell the assignee and their manager, once each."""
    now = now or timezone.now()
    run = uuid.uuid4()
    with transaction.atomic():
        flagged = (
            Complaint.objects.overdue(now)
            .filter(overdue_alerted_at__isnull=True)
            .update(overdue_alerted_at=now, alerted_by_run=run)
        )
        if not flagged:
            return 0
        taken = Complaint.objects.filter(alerted_by_run=run)
        fields = ["user", "kind", "customer", "detail", "link", "created_at"]
        alert = {
            "n_kind": Value(NotificationKind.COMPLAINT_OVERDUE),
            "n_detail": Value(""),
            "n_link": complaint_links(),
            "n_at": Value(now),
        }
        columns = ["n_kind", "customer", "n_detail", "n_link", "n_at"]
        insert_from_select(Notification, fields, taken.annotate(**alert).values_list("assignee", *columns))
        managers = taken.filter(assignee__team__manager__isnull=False).exclude(assignee=F("assignee__team__manager"))
        insert_from_select(
            Notification, fields, managers.annotate(**alert).values_list("assignee__team__manager", *columns)
        )
        # iterator(): read only if an endpoint wants the event (a generator expression would run the query at
        # once, 215 MB for a million customers' backlog with no endpoint at all), then a chunk at a time.
        overdue = taken.select_related("customer__owner", "assignee").order_by("pk").iterator(chunk_size=2000)
        emit_many(Event.COMPLAINT_OVERDUE, (_webhook_payload(complaint) for complaint in overdue))
    return flagged


def contact_deleting(*, instance: Contact, **kwargs) -> None:
    """Before a contact is deleted (any path: the app's page, the admin): their complaints keep their name."""
    name = instance.name[: Complaint._meta.get_field("complainant_name").max_length]
    Complaint.objects.filter(complainant=instance, complainant_name="").update(complainant_name=name)
