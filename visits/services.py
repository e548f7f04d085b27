"""Logging visits and keeping each customer's follow-up schedule and reminders in step."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.evidence.services import Attached, attachments_add
from crm.formatting import iso_date_time
from crm.models import Customer, GradeRule, RecentCustomer
from crm.services import lock

from .checkin import CHECKIN_METHODS, distance_m
from .models import (
    CustomerSite,
    Method,
    Objection,
    Reminder,
    ReminderKind,
    ReminderState,
    Snooze,
    Visit,
    VisitRevision,
)
from .permissions import (
    can_dismiss_reminder,
    can_edit_visit,
    can_log_visit,
    can_own_next_step,
    can_set_site,
    can_snooze,
)
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


class AlreadyRecorded(Exception):  # noqa: N818 - an answer, not a fault
    """The visit's phone-made id was recorded before: the earlier visit stands and nothing new is saved."""

    def __init__(self, visit):
        super().__init__(visit)
        self.visit = visit


def recorded_visit(author: User, client_id) -> Visit | None:
    """The visit `author` already sent with this phone-made id, if any."""
    return Visit.objects.filter(author=author, client_id=client_id).first() if client_id else None


@transaction.atomic
def visit_log(*, visit: Visit, actor: User, contacts=(), objections=()) -> Visit:
    """Record a visit by `actor`, its author; the customer's dates, reminders and (first visit) thank-you rules
    follow at once. A visit whose `client_id` was recorded before raises AlreadyRecorded and saves nothing."""
    customer = lock(Customer, visit.customer_id)
    if not can_log_visit(actor, customer):
        raise PermissionDenied
    visit.author = actor
    _check_next_step_owner(visit, actor)
    is_first = not customer.visits.exists()
    # The unique constraint, not this form check, keeps a visit sent twice at once to one row: see _save_once.
    visit.full_clean(exclude=["contacts", "client_id"])
    _save_once(visit)
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
    RecentCustomer.objects.note(user=actor, customer=customer)
    visit_logged.send(sender=Visit, visit=visit, customer=customer)
    return visit


def reminder_for_deal_step(opportunity) -> None:
    """A deal's next step (what, by when, who) becomes a next-step reminder, as a visit's does; a reminder of
    that kind already due that day for the customer stands for both. A deal of a pool customer has nobody to
    remind but whoever was named."""
    assignee_id = opportunity.next_step_owner_id or opportunity.customer.owner_id
    if assignee_id is None:
        return
    Reminder.objects.bulk_create(
        [
            Reminder(
                customer_id=opportunity.customer_id,
                assignee_id=assignee_id,
                kind=ReminderKind.NEXT_STEP,
                due_on=opportunity.next_step_due,
                note=f"{opportunity.title}: {opportunity.next_step}"[:255],
            )
        ],
        ignore_conflicts=True,
    )
    customer = lock(Customer, opportunity.customer_id)
    customer.next_follow_up_on = next_follow_up(customer)
    customer.save(update_fields=["next_follow_up_on", "updated_at"])


@dataclass
class Recorded:
    visit: Visit
    attached: Attached = field(default_factory=Attached)  # the files kept, and a message per file refused


def visit_record(*, visit: Visit, actor: User, contacts=(), objections=(), check_in=None, uploads=()) -> Recorded:
    """Everything a rep sends when logging a visit, from the form, the phone's queue or the API: the visit
    (`visit_log`), the position of their "I'm here" tap, `check_in` = (lat, lng, accuracy, at), on an on-site
    or showroom visit, and the `uploads` (crm.evidence). Each step commits before the next: the visit is kept
    whatever becomes of a position or a file, and a refused file is reported in `attached`, never raised.
    Raises what `visit_log` raises (PermissionDenied, ValidationError, AlreadyRecorded), with nothing saved."""
    visit = visit_log(visit=visit, actor=actor, contacts=contacts, objections=objections)
    if check_in and visit.method in CHECKIN_METHODS:
        lat, lng, accuracy, at = check_in
        visit = visit_check_in(visit=visit, actor=actor, lat=lat, lng=lng, accuracy=accuracy, at=at)
    attached = attachments_add(record=visit, actor=actor, files=uploads) if uploads else Attached()
    return Recorded(visit=visit, attached=attached)


def _save_once(visit: Visit) -> None:
    """Insert the visit; a second insert of the same phone-made id meets the unique constraint and answers with
    the first visit. The savepoint keeps the caller's transaction usable (PostgreSQL aborts it otherwise)."""
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:
        earlier = recorded_visit(visit.author, visit.client_id)
        if earlier is None:
            raise  # some other constraint: not ours to explain
        raise AlreadyRecorded(earlier) from None


# What a correction may change; author, customer and the logging time are the record itself.
REVISED_FIELDS = [
    "method", "started_at", "ended_at", "purpose", "discussion", "needs", "commitments",
    "next_step", "next_step_due", "next_step_owner", "help_needed",
]  # fmt: skip


def _revision_value(visit, name):
    value = getattr(visit, name)
    if isinstance(value, datetime.datetime):
        return iso_date_time(value)  # stored: one form whatever the language
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


@transaction.atomic
def visit_check_in(*, visit: Visit, actor: User, lat, lng, accuracy, at) -> Visit:
    """Keep where the rep tapped "I'm here" with their on-site or showroom visit, measured from the customer's
    site; the first on-site check-in of a customer with no site proposes one for a manager to confirm."""
    visit = lock(Visit, visit.pk)
    if visit.author_id != actor.pk or not can_edit_visit(actor, visit):
        raise PermissionDenied
    if visit.method not in CHECKIN_METHODS:
        raise ValidationError(_("Only on-site and showroom visits are checked in."))
    visit.checkin_lat, visit.checkin_lng, visit.checkin_accuracy, visit.checkin_at = lat, lng, accuracy, at
    site = CustomerSite.objects.filter(customer_id=visit.customer_id).first()
    if visit.method == Method.ONSITE:
        if site is None:
            CustomerSite.objects.create(customer_id=visit.customer_id, lat=lat, lng=lng, proposed_from=visit)
            visit.checkin_distance = 0
        else:
            visit.checkin_distance = distance_m(site.lat, site.lng, lat, lng)
    visit.save(update_fields=["checkin_lat", "checkin_lng", "checkin_accuracy", "checkin_at", "checkin_distance"])
    return visit


@transaction.atomic
def customer_site_set(*, customer: Customer, actor: User, lat=None, lng=None) -> CustomerSite:
    """A manager sets the customer's site, or (no position given) confirms the proposed one."""
    customer = lock(Customer, customer.pk)
    if not can_set_site(actor, customer):
        raise PermissionDenied
    site = CustomerSite.objects.select_for_update().filter(customer=customer).first()
    if lat is None or lng is None:
        if site is None:
            raise ValidationError(_("There is no proposed site to confirm: enter its position."))
    else:
        site = site or CustomerSite(customer=customer)
        site.lat, site.lng, site.proposed_from = lat, lng, None
    site.confirmed_by, site.confirmed_at = actor, timezone.now()
    site.full_clean()
    site.save()
    return site
