"""Logging visits and keeping each customer's follow-up schedule and reminders in step."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.models import Customer, GradeRule
from crm.services import lock

from .models import Method, Objection, Reminder, ReminderKind, ReminderState, Snooze, Visit, VisitRevision
from .permissions import can_dismiss_reminder, can_edit_visit, can_log_visit, can_own_next_step, can_snooze
from .signals import visit_logged

THANK_YOU_DAYS = 1  # thank-you message within 24 hours of a first visit
FIRST_PHONE_DAYS = 3  # then phone within 3 days if the customer has not answered

# Which reminders a visit of each method settles.
CLOSES = {
    ReminderKind.CADENCE: set(Method.values),
    ReminderKind.NEXT_STEP: set(Method.values),
    ReminderKind.SNOOZE_ENDED: set(Method.values),
    ReminderKind.CLAIM_LAPSING: set(Method.values),
    ReminderKind.ONSITE: {Method.ONSITE, Method.SHOWROOM},
    ReminderKind.THANK_YOU: {Method.EMAIL, Method.WECHAT, Method.PHONE},
    ReminderKind.PHONE_FOLLOW_UP: {Method.PHONE, Method.ONSITE, Method.VIDEO},
}


def next_follow_up(customer: Customer, *, policy=None, today=None) -> datetime.date:
    """The earliest day the customer is owed contact: cadence, A's on-site rule, open reminders, pauses."""
    policy = policy or GradeRule.policy()
    rule = policy[customer.grade]
    start = customer.last_contact_on or timezone.localdate(customer.created_at)
    candidates = [start + datetime.timedelta(days=rule.cadence_days)]
    if rule.onsite_interval_days:
        last_onsite = customer.visits.filter(method__in=CLOSES[ReminderKind.ONSITE]).aggregate(day=Max("started_at"))
        onsite_start = timezone.localdate(last_onsite["day"]) if last_onsite["day"] else start
        candidates.append(onsite_start + datetime.timedelta(days=rule.onsite_interval_days))
    earliest_open = customer.reminders.open().aggregate(day=Min("due_on"))["day"]
    if earliest_open:
        candidates.append(earliest_open)
    due = min(candidates)
    paused_until = customer.snoozes.filter(until__gt=today or timezone.localdate()).aggregate(day=Max("until"))["day"]
    return max(due, paused_until) if paused_until else due


def _check_next_step_owner(visit: Visit, actor: User) -> None:
    """The next step goes to someone the actor may hand work to (the form offers only them)."""
    if visit.next_step_owner_id and not (
        visit.next_step_owner_id == actor.pk or can_own_next_step(actor, visit.next_step_owner)
    ):
        raise ValidationError({"next_step_owner": _("Choose a current member of your team.")})


@transaction.atomic
def visit_log(*, visit: Visit, actor: User, contacts=(), objections=()) -> Visit:
    """Record a visit by `actor`, its author; the customer's dates, reminders and (first visit) thank-you rules
    follow at once."""
    customer = lock(Customer, visit.customer_id)
    if not can_log_visit(actor, customer):
        raise PermissionDenied
    visit.author = actor
    _check_next_step_owner(visit, actor)
    is_first = not customer.visits.exists()
    visit.full_clean(exclude=["contacts"])
    visit.save()
    visit.contacts.set([c for c in contacts if c.customer_id == customer.pk])
    Objection.objects.bulk_create([Objection(visit=visit, kind=kind, text=text) for kind, text in objections if text])

    visit_day = timezone.localdate(visit.started_at)
    closable = [kind for kind, methods in CLOSES.items() if visit.method in methods]
    customer.reminders.open().filter(kind__in=closable, due_on__lte=max(visit_day, timezone.localdate())).update(
        state=ReminderState.DONE, closed_at=timezone.now(), closed_by_visit=visit
    )
    new_reminders = []
    if visit.next_step and visit.next_step_due:
        new_reminders.append(
            Reminder(
                customer=customer,
                assignee=visit.next_step_owner or visit.author,
                kind=ReminderKind.NEXT_STEP,
                due_on=visit.next_step_due,
                note=visit.next_step[:255],
            )
        )
    if is_first and visit.method in (Method.ONSITE, Method.EXHIBITION, Method.SHOWROOM):
        for kind, days in ((ReminderKind.THANK_YOU, THANK_YOU_DAYS), (ReminderKind.PHONE_FOLLOW_UP, FIRST_PHONE_DAYS)):
            new_reminders.append(
                Reminder(
                    customer=customer, assignee=visit.author, kind=kind, due_on=visit_day + datetime.timedelta(days)
                )
            )
    Reminder.objects.bulk_create(new_reminders, ignore_conflicts=True)

    if customer.last_contact_on is None or visit_day > customer.last_contact_on:
        customer.last_contact_on = visit_day
    customer.next_follow_up_on = next_follow_up(customer)
    customer.save(update_fields=["last_contact_on", "next_follow_up_on", "updated_at"])
    visit_logged.send(sender=Visit, visit=visit, customer=customer)
    return visit


# What a correction may change; author, customer and the logging time are the record itself.
REVISED_FIELDS = [
    "method", "started_at", "ended_at", "purpose", "discussion", "needs", "commitments",
    "next_step", "next_step_due", "next_step_owner", "help_needed",
]  # fmt: skip


def _revision_value(visit, name):
    value = getattr(visit, name)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def visit_update(*, visit: Visit, actor: User, contacts=(), reason="") -> Visit:
    """Save an edit and keep what it changed. Past the author's window only an admin corrects, with a reason."""
    if not can_edit_visit(actor, visit):
        raise PermissionDenied
    _check_next_step_owner(visit, actor)
    reason = reason.strip()
    if visit.needs_correction_reason(actor) and not reason:
        raise ValidationError({"correction_reason": _("Say why this record is corrected.")})
    with transaction.atomic():
        before = Visit.objects.select_for_update().get(pk=visit.pk)
        before_contacts = sorted(str(contact) for contact in before.contacts.all())
        visit.full_clean(exclude=["contacts"])
        visit.save()
        visit.contacts.set([c for c in contacts if c.customer_id == visit.customer_id])
        changes = {
            name: [_revision_value(before, name), _revision_value(visit, name)]
            for name in REVISED_FIELDS
            if _revision_value(before, name) != _revision_value(visit, name)
        }
        after_contacts = sorted(str(contact) for contact in visit.contacts.all())
        if after_contacts != before_contacts:
            changes["contacts"] = [", ".join(before_contacts), ", ".join(after_contacts)]
        if changes:
            VisitRevision.objects.create(visit=visit, edited_by=actor, reason=reason[:255], changes=changes)
        if "started_at" in changes:
            _refresh_last_contact(visit.customer_id)
    return visit


def _refresh_last_contact(customer_id):
    """A corrected visit date may move the customer's last contact either way."""
    customer = lock(Customer, customer_id)
    latest = customer.visits.aggregate(day=Max("started_at"))["day"]
    customer.last_contact_on = timezone.localdate(latest) if latest else None
    customer.next_follow_up_on = next_follow_up(customer)
    customer.save(update_fields=["last_contact_on", "next_follow_up_on", "updated_at"])


@transaction.atomic
def reminder_dismiss(*, reminder: Reminder, actor: User, reason: str) -> Reminder:
    """The person who owes a follow-up says it is not needed, and why."""
    reminder = lock(Reminder, reminder.pk)
    if not can_dismiss_reminder(actor, reminder):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this follow-up is not needed.")})
    if reminder.state != ReminderState.OPEN:
        return reminder
    reminder.state = ReminderState.DISMISSED
    reminder.dismissed_reason = reason
    reminder.closed_at = timezone.now()
    reminder.save(update_fields=["state", "dismissed_reason", "closed_at"])
    return reminder


@transaction.atomic
def customer_snooze(*, customer: Customer, actor: User, days: int, reason: str) -> Snooze:
    """ "Not now" (暂时不需要): pause follow-ups; the sweep reminds the owner when the pause ends."""
    customer = lock(Customer, customer.pk)
    if not can_snooze(actor, customer):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Write what the customer said.")})
    until = timezone.localdate() + datetime.timedelta(days=days)
    snooze = Snooze.objects.create(customer=customer, until=until, reason=reason, created_by=actor)
    customer.reminders.open().filter(due_on__lt=until).exclude(kind=ReminderKind.NEXT_STEP).update(
        state=ReminderState.DISMISSED, dismissed_reason=reason[:255], closed_at=timezone.now()
    )
    customer.next_follow_up_on = next_follow_up(customer)
    customer.save(update_fields=["next_follow_up_on", "updated_at"])
    return snooze
