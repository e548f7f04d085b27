"""Changes to customers that touch more than one row or leave a history."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction, User

from . import reasons
from .models import Contact, Customer, Grade, GradeChange, GradeRule, Notification
from .permissions import can_create_customer, can_edit_customer, can_set_grade


def lock(model, pk):
    """Fetch a row for update: concurrent changes to it wait for this transaction."""
    return model.objects.select_for_update().get(pk=pk)


def _stored(customer: Customer) -> Customer:
    """The customer as saved: who may change it depends on who holds it now, not on what a form wrote."""
    return Customer.objects.select_related("owner__team").get(pk=customer.pk)


@transaction.atomic
def customer_save(*, customer: Customer, actor: User) -> Customer:
    """Save a new or edited customer; its grade follows the facts unless a manager set it."""
    is_new = customer.pk is None
    if not (can_create_customer(actor) if is_new else can_edit_customer(actor, _stored(customer))):
        raise PermissionDenied
    return _save_with_grade(customer, actor=actor, is_new=is_new)


@transaction.atomic
def customer_recount_save(*, customer: Customer) -> Customer:
    """Save facts a scheduled job recomputed on a stored customer (no one acts, so no one's permission is asked);
    the grade follows them as in `customer_save`, its history naming nobody."""
    return _save_with_grade(customer, actor=None, is_new=False)


def _save_with_grade(customer: Customer, *, actor: User | None, is_new: bool) -> Customer:
    policy = GradeRule.policy()
    previous_grade = None if is_new else Customer.objects.values_list("grade", flat=True).get(pk=customer.pk)
    if is_new:
        customer.created_by = actor
        customer.grade = customer.suggested_grade(policy)
    elif not customer.grade_overridden:
        customer.grade = customer.suggested_grade(policy)
    if is_new or customer.grade != previous_grade or customer.next_follow_up_on is None:
        customer.schedule_from_cadence(policy)
    customer.save()
    if is_new:
        GradeChange.objects.create(
            customer=customer,
            changed_by=actor,
            to_grade=customer.grade,
            reason_code=reasons.GRADE_REGISTERED,
        )
    elif customer.grade != previous_grade:
        GradeChange.objects.create(
            customer=customer,
            changed_by=actor,
            from_grade=previous_grade,
            to_grade=customer.grade,
            reason_code=reasons.GRADE_FACTS_CHANGED,
        )
    return customer


@transaction.atomic
def customer_override_grade(
    *, customer: Customer, grade: str, actor: User, reason: str = "", reason_code: str = "", reason_params=None
) -> Customer:
    """A manager sets the grade by hand; the reason is kept in the history (or the system's, as a code)."""
    if not can_set_grade(actor, _stored(customer)):
        raise PermissionDenied
    reason = reason.strip()
    if not (reason or reason_code):
        raise ValidationError({"reason": _("Write why the grade differs from the suggestion.")})
    if grade not in Grade.values:
        raise ValidationError({"grade": _("Choose grade A, B or C.")})
    return _set_grade(
        customer=customer, grade=grade, overridden=True, actor=actor, reason=reason,
        reason_code=reason_code, reason_params=reason_params,
    )  # fmt: skip


@transaction.atomic
def customer_follow_suggested_grade(*, customer: Customer, actor: User, reason: str = "") -> Customer:
    """End a manual override: the grade goes back to what the facts suggest."""
    if not can_set_grade(actor, _stored(customer)):
        raise PermissionDenied
    return _set_grade(
        customer=customer,
        grade=None,
        overridden=False,
        actor=actor,
        reason=reason.strip(),
        reason_code="" if reason.strip() else reasons.GRADE_BACK_TO_SUGGESTED,
    )


def _set_grade(
    *, customer: Customer, grade: str | None, overridden: bool, actor: User, reason: str, reason_code="",
    reason_params=None,
) -> Customer:  # fmt: skip
    """Give the locked customer `grade` (None: the suggested one) and record it in the history."""
    customer = lock(Customer, customer.pk)
    grade = grade or customer.suggested_grade()
    change = GradeChange.objects.create(
        customer=customer,
        changed_by=actor,
        from_grade=customer.grade,
        to_grade=grade,
        is_override=overridden,
        reason=reason,
        reason_code=reason_code,
        reason_params=reason_params,
    )
    with translation.override(settings.LANGUAGE_CODE):  # the audit trail is read by admins in one language
        written = change.reason_display
    audit.record(
        AuditAction.GRADE_OVERRIDE,
        actor=actor,
        subject=customer,
        summary=f"{customer.grade or '—'} → {grade}: {written}",
        detail={"from": customer.grade, "to": grade, "override": overridden, "reason": written},
    )
    if grade != customer.grade:
        customer.grade = grade
        customer.schedule_from_cadence()
    customer.grade_overridden = overridden
    customer.save(update_fields=["grade", "grade_overridden", "next_follow_up_on", "updated_at"])
    return customer


@transaction.atomic
def contact_delete(*, contact: Contact, actor: User) -> None:
    """Remove a contact (the complaints app keeps the name on the complaints they made: `contact_deleting`)."""
    if not can_edit_customer(actor, _stored(contact.customer)):
        raise PermissionDenied
    contact.delete()


@transaction.atomic
def contact_save(*, contact: Contact, actor: User) -> Contact:
    """Save a contact; making it primary takes the flag from the customer's other contacts."""
    if not can_edit_customer(actor, _stored(contact.customer)):
        raise PermissionDenied
    if contact.is_primary:
        Contact.objects.filter(customer=contact.customer, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False
        )
    contact.save()
    return contact


def notify(users, *, kind, customer=None, detail="", link="", reason_code="", reason_params=None):
    """One notification per distinct user (None and repeats skipped); the system's words go in as a code."""
    distinct = {user.pk: user for user in users if user is not None}
    Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind=kind,
                customer=customer,
                detail=detail[:255],
                link=link,
                reason_code=reason_code,
                reason_params=reason_params,
            )  # fmt: skip
            for user in distinct.values()
        ]
    )
