"""Opening deals, moving them through the stages and closing them; every stage change is kept.

Winning records a purchase on the customer: its annual purchases become the won amounts of the last 12 months,
so its suggested grade follows real orders, and it becomes an active customer (longer protection, DOMAIN §5.3).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import User
from accounts.permissions import can_hand_to
from crm.models import Customer, JobHeartbeat
from crm.models import Status as CustomerStatus
from crm.services import customer_recount_save, customer_save, lock
from crm.webhooks.models import Event
from crm.webhooks.services import customer_ref, emit, user_ref

from .models import (
    CloseReason,
    Competitor,
    Opportunity,
    OpportunityLine,
    Outcome,
    Participant,
    Period,
    Purchase,
    Requirement,
    SalesTarget,
    Stage,
    StageChange,
    Status,
)
from .permissions import can_create_deal, can_override_requirements, can_set_target, can_work_deal
from .signals import deal_next_step_set, deal_won

YEAR = datetime.timedelta(days=365)
# The fields whose change sends the next step on to the owner's day.
NEXT_STEP_FIELDS = {"next_step", "next_step_due", "next_step_owner"}


class RequirementsMissing(ValidationError):
    """A forward move the deal is not ready for: `missing` lists the requirement codes it does not meet."""

    def __init__(self, missing: list[str], *, may_override: bool):
        self.missing = missing
        self.may_override = may_override
        labels = pgettext("list separator", ", ").join(str(Requirement(code).label) for code in missing)
        super().__init__(_("Not ready for this stage. Missing: %(missing)s.") % {"missing": labels})


def _locked(opportunity: Opportunity) -> Opportunity:
    """The deal as stored, locked until the transaction ends (who may act depends on who holds the customer now)."""
    return (
        Opportunity.objects.select_for_update(of=("self",))
        .select_related("customer__owner__team", "stage")
        .get(pk=opportunity.pk)
    )


def _check_open(opportunity: Opportunity) -> None:
    if not opportunity.is_open:
        raise ValidationError(_("This deal is closed (%(status)s).") % {"status": opportunity.get_status_display()})


def _check_next_step_owner(opportunity: Opportunity, actor: User) -> None:
    """The next step goes to someone the actor may hand work to (the form offers only them)."""
    owner = opportunity.next_step_owner
    if owner is not None and owner.pk != actor.pk and not can_hand_to(actor, owner):
        raise ValidationError({"next_step_owner": _("Choose a current member of your team.")})


def _announce_next_step(opportunity: Opportunity) -> None:
    if opportunity.next_step and opportunity.next_step_due:
        deal_next_step_set.send(sender=Opportunity, opportunity=opportunity)


def _record(opportunity, *, actor, from_stage=None, to_stage=None, days=None, passed_over=(), reason="") -> None:
    StageChange.objects.create(
        opportunity=opportunity, actor=actor, from_stage=from_stage, to_stage=to_stage or opportunity.stage,
        status=opportunity.status, days_in_previous=days, passed_over=list(passed_over), reason=reason,
    )  # fmt: skip


@transaction.atomic
def opportunity_create(*, opportunity: Opportunity, actor: User) -> Opportunity:
    """Open a deal on a held customer: in the first stage unless another is given, at its stage's probability."""
    customer = Customer.objects.select_related("owner__team").get(pk=opportunity.customer_id)
    if not can_create_deal(actor, customer):
        raise PermissionDenied
    if opportunity.stage_id is None:
        opportunity.stage = Stage.objects.in_use()[0]
    if opportunity.probability is None:
        opportunity.probability = opportunity.stage.probability
    _check_next_step_owner(opportunity, actor)
    opportunity.status, opportunity.created_by, opportunity.stage_entered_at = Status.OPEN, actor, timezone.now()
    opportunity.full_clean()
    opportunity.save()
    _record(opportunity, actor=actor)
    _announce_next_step(opportunity)
    return opportunity


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, actor: User, changed: list[str]) -> Opportunity:
    """Save what the form changed on an open deal (the stage and the status change only through their services)."""
    current = _locked(opportunity)
    if not can_work_deal(actor, current):
        raise PermissionDenied
    _check_open(current)
    fields = [name for name in changed if name not in {"stage", "status", "amount", "customer"}]
    if not fields:
        return current
    if NEXT_STEP_FIELDS & set(fields):
        _check_next_step_owner(opportunity, actor)
    if opportunity.probability is None:  # emptied: the stage's default again
        opportunity.probability = current.stage.probability
    opportunity.full_clean(exclude=["stage", "customer", "created_by"])
    opportunity.save(update_fields=[*fields, "updated_at"])
    if NEXT_STEP_FIELDS & set(fields):
        _announce_next_step(opportunity)
    return opportunity


PARTS = (OpportunityLine, Participant, Competitor)


def _refresh_amount(opportunity: Opportunity) -> None:
    lines = OpportunityLine.objects.filter(opportunity=opportunity).values_list("quantity", "unit_price")
    opportunity.amount = sum((quantity * price for quantity, price in lines), Decimal(0))
    opportunity.save(update_fields=["amount", "updated_at"])


@transaction.atomic
def opportunity_part_save(*, part: OpportunityLine | Participant | Competitor, actor: User):
    """Add or change an equipment line, a person involved or a competitor of an open deal."""
    if not isinstance(part, PARTS):
        raise TypeError(f"not a part of a deal: {type(part).__name__}")
    opportunity = _locked(part.opportunity)
    if not can_work_deal(actor, opportunity):
        raise PermissionDenied
    _check_open(opportunity)
    if isinstance(part, Participant) and part.contact.customer_id != opportunity.customer_id:
        raise ValidationError({"contact": _("Choose one of this customer's contacts.")})
    part.full_clean()
    part.save()
    if isinstance(part, OpportunityLine):
        _refresh_amount(opportunity)
    return part


@transaction.atomic
def opportunity_part_delete(*, part: OpportunityLine | Participant | Competitor, actor: User) -> None:
    if not isinstance(part, PARTS):
        raise TypeError(f"not a part of a deal: {type(part).__name__}")
    opportunity = _locked(part.opportunity)
    if not can_work_deal(actor, opportunity):
        raise PermissionDenied
    _check_open(opportunity)
    part.delete()
    if isinstance(part, OpportunityLine):
        _refresh_amount(opportunity)


def missing_requirements(opportunity: Opportunity, to_stage: Stage, stages=None) -> list[str]:
    """What the deal lacks to enter `to_stage`: the requirements of every stage it would pass into, in order.
    Moving back (or staying) needs nothing."""
    if to_stage.order <= opportunity.stage.order:
        return []
    stages = stages if stages is not None else Stage.objects.in_use()
    entered = [stage for stage in stages if opportunity.stage.order < stage.order <= to_stage.order]
    return opportunity.missing_for(entered, list(opportunity.participants.all()), opportunity.lines.exists())


@transaction.atomic
def opportunity_move(*, opportunity: Opportunity, to_stage: Stage, actor: User, reason: str = "") -> Opportunity:
    """Move an open deal to another stage. Forward, every requirement of the stages it enters must be met, or
    RequirementsMissing lists what is not; a manager may move past them with a reason, kept in the history."""
    opportunity = _locked(opportunity)
    if not can_work_deal(actor, opportunity):
        raise PermissionDenied
    _check_open(opportunity)
    if not to_stage.is_active:
        raise ValidationError(_("This stage is no longer in use."))
    if to_stage.pk == opportunity.stage_id:
        return opportunity
    reason = reason.strip()
    missing = missing_requirements(opportunity, to_stage)
    may_override = can_override_requirements(actor, opportunity)
    if missing and not (reason and may_override):
        raise RequirementsMissing(missing, may_override=may_override)
    now = timezone.now()
    from_stage, days = opportunity.stage, opportunity.days_in_stage(now)
    if opportunity.probability == from_stage.probability:  # still the stage's default: follow the new stage
        opportunity.probability = to_stage.probability
    opportunity.stage, opportunity.stage_entered_at = to_stage, now
    opportunity.save(update_fields=["stage", "stage_entered_at", "probability", "updated_at"])
    _record(opportunity, actor=actor, from_stage=from_stage, days=days, passed_over=missing,
            reason=reason if missing else "")  # fmt: skip
    return opportunity


def _close_reason(reason: CloseReason | None, outcome: str) -> CloseReason | None:
    if reason is not None and reason.outcome != outcome:
        raise ValidationError({"close_reason": _("Choose one of the reasons for this outcome.")})
    return reason


def _close(opportunity: Opportunity, *, actor: User, status: str, on: datetime.date, reason=None, note="") -> None:
    days = opportunity.days_in_stage()
    opportunity.status, opportunity.closed_on = status, on
    opportunity.close_reason, opportunity.close_note = reason, note.strip()
    opportunity.full_clean(exclude=["customer", "stage", "created_by"])
    opportunity.save()
    _record(opportunity, actor=actor, from_stage=opportunity.stage, days=days)


def _deal_payload(opportunity: Opportunity, *, closed_by: User) -> dict:
    """What `deal.won` and `deal.lost` say of the deal (README, Webhooks); the customer is `customer_ref`'s."""
    reason = opportunity.close_reason
    return {
        "id": opportunity.pk,
        "title": opportunity.title,
        "status": opportunity.status,
        "amount": opportunity.amount,
        "stage": {"id": opportunity.stage_id, "name": opportunity.stage.name_en},
        "closed_on": opportunity.closed_on,
        "close_reason": {"id": reason.pk, "name": reason.name_en} if reason else None,
        "won_by": opportunity.won_by,
        "note": opportunity.close_note,
        "closed_by": user_ref(closed_by),
        "url": settings.SITE_URL + reverse("deals:detail", args=[opportunity.pk]),
    }


def customer_purchases_refresh(customer: Customer, today: datetime.date | None = None) -> None:
    """A customer who bought from us: annual purchases are the last 12 months' purchases (the typed estimate
    stands only while there are none). Unsaved: the caller saves it, so that its grade follows."""
    today = today or timezone.localdate()
    purchases = Purchase.objects.filter(customer=customer)
    if not purchases.exists():
        return
    total = purchases.filter(bought_on__gt=today - YEAR).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    customer.annual_purchases = total.quantize(Decimal(1))


AGE_OUT_JOB = "purchases_age_out"


def purchases_age_out() -> int:
    """The nightly job: customers whose 12-month window lost a purchase since the last run get their annual
    purchases recounted (as a win recounts them), and with them the suggested grade. Returns how many changed.

    The window moves at local midnight; the last run's start day says which purchases have already been counted
    out, so a second run that day finds nothing, and a missed night is caught up by the next."""
    started = timezone.now()
    today = timezone.localdate(started)
    aged_out = Purchase.objects.filter(bought_on__lte=today - YEAR)
    last_run = JobHeartbeat.objects.filter(name=AGE_OUT_JOB).values_list("last_run_at", flat=True).first()
    if last_run is not None:
        aged_out = aged_out.filter(bought_on__gt=timezone.localdate(last_run) - YEAR)
    changed = 0
    for customer_pk in aged_out.order_by("customer_id").values_list("customer_id", flat=True).distinct():
        changed += _recount(customer_pk, today)
    JobHeartbeat.beat(AGE_OUT_JOB, at=started)
    return changed


@transaction.atomic
def _recount(customer_pk: int, today: datetime.date) -> bool:
    customer = lock(Customer, customer_pk)
    counted = customer.annual_purchases
    customer_purchases_refresh(customer, today)
    if customer.annual_purchases == counted:
        return False  # a concurrent run got here first
    customer_recount_save(customer=customer)
    return True


@transaction.atomic
def opportunity_win(
    *, opportunity: Opportunity, actor: User, reason: CloseReason | None = None, note: str = "",
    won_on: datetime.date | None = None,
) -> Opportunity:  # fmt: skip
    """Close a deal as won: a purchase of its amount on the customer, whose annual purchases, suggested grade
    (with history) and status follow; claims lengthens the holder's protection (signals.deal_won)."""
    opportunity = _locked(opportunity)
    if not can_work_deal(actor, opportunity):
        raise PermissionDenied
    _check_open(opportunity)
    if opportunity.amount <= 0:
        raise ValidationError(_("List the equipment and its prices before marking the deal won."))
    won_on = won_on or timezone.localdate()
    opportunity.probability = 100
    _close(opportunity, actor=actor, status=Status.WON, on=won_on, reason=_close_reason(reason, Outcome.WON),
           note=note)  # fmt: skip
    Purchase.objects.create(customer=opportunity.customer, opportunity=opportunity, amount=opportunity.amount,
                            bought_on=won_on)  # fmt: skip
    customer = lock(Customer, opportunity.customer_id)
    customer_purchases_refresh(customer)
    customer.status = CustomerStatus.ACTIVE
    customer_save(customer=customer, actor=actor)
    deal_won.send(sender=Opportunity, opportunity=opportunity, customer=customer, actor=actor)
    emit(Event.DEAL_WON, {"deal": _deal_payload(opportunity, closed_by=actor), "customer": customer_ref(customer)})
    return opportunity


@transaction.atomic
def opportunity_lose(
    *, opportunity: Opportunity, actor: User, reason: CloseReason | None, won_by: str = "", note: str = ""
) -> Opportunity:
    """Close a deal as lost, with the reason from the admins' list and, when known, the competitor who won."""
    opportunity = _locked(opportunity)
    if not can_work_deal(actor, opportunity):
        raise PermissionDenied
    _check_open(opportunity)
    if reason is None:
        raise ValidationError({"close_reason": _("Choose why the deal was lost.")})
    opportunity.won_by = won_by.strip()
    opportunity.probability = 0
    _close(opportunity, actor=actor, status=Status.LOST, on=timezone.localdate(),
           reason=_close_reason(reason, Outcome.LOST), note=note)  # fmt: skip
    emit(Event.DEAL_LOST, {"deal": _deal_payload(opportunity, closed_by=actor),
                           "customer": customer_ref(opportunity.customer)})  # fmt: skip
    return opportunity


@transaction.atomic
def opportunity_abandon(
    *, opportunity: Opportunity, actor: User, reason: CloseReason | None = None, note: str = ""
) -> Opportunity:
    """We stop pursuing the deal: a reason from the list or a note says why."""
    opportunity = _locked(opportunity)
    if not can_work_deal(actor, opportunity):
        raise PermissionDenied
    _check_open(opportunity)
    if reason is None and not note.strip():
        raise ValidationError({"close_reason": _("Say why the deal is abandoned.")})
    opportunity.probability = 0
    _close(opportunity, actor=actor, status=Status.ABANDONED, on=timezone.localdate(),
           reason=_close_reason(reason, Outcome.ABANDONED), note=note)  # fmt: skip
    return opportunity


@transaction.atomic
def sales_target_set(*, actor: User, rep: User, period: Period, amount: Decimal | None) -> SalesTarget | None:
    """Set (or, with no amount, remove) what `rep` should win in `period`; only their manager or an admin may.
    The row keeps who set it, when, and the amount it replaced."""
    # The rep's row is the lock: two people setting the same missing target one after the other, not both inserting.
    rep = User.objects.select_for_update(of=("self",)).select_related("team").get(pk=rep.pk)
    if not can_set_target(actor, rep):
        raise PermissionDenied
    if not period.is_valid_start():
        raise ValidationError(_("A target covers a whole month or quarter."))
    target = SalesTarget.objects.filter(rep=rep, kind=period.kind, starts_on=period.starts_on).first()
    if amount is None:
        if target is not None:
            target.delete()
        return None
    if target is not None and target.amount == amount:
        return target
    if target is None:
        target = SalesTarget(rep=rep, kind=period.kind, starts_on=period.starts_on)
    else:
        target.previous_amount = target.amount
    target.amount, target.set_by, target.set_at = amount, actor, timezone.now()
    target.full_clean()
    target.save()
    return target
