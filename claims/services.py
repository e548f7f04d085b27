"""Every change of who owns a customer goes through here, in one transaction, with a history row.

`Customer.owner` is a cache of the active claim's holder for visibility
queries; only these functions write it.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditAction, User
from accounts.permissions import sells
from crm import reasons
from crm.dates import day_start
from crm.formatting import full_date
from crm.models import Customer, NotificationKind, PoolReason
from crm.normalize import normalize_name, split_phones
from crm.services import customer_save, lock, notify
from crm.validators import clean_credit_code
from crm.webhooks.models import Event
from crm.webhooks.services import customer_ref, emit, user_ref
from visits.models import Reminder, ReminderKind, ReminderState

from .duplicates import Match, confirm_same, find_duplicates
from .models import (
    DISPUTE_DECIDED,
    Claim,
    Dispute,
    DisputeKind,
    DisputeState,
    EndReason,
    EventKind,
    Holding,
    Outcome,
    OwnershipEvent,
    OwnershipPolicy,
    decided_params,
    dispute_route,
)
from .permissions import (
    can_claim,
    can_decide_dispute,
    can_depart,
    can_open_dispute,
    can_register,
    can_register_for_others,
    can_release,
    can_transfer,
    can_transfer_to,
)


class OwnershipRefused(ValidationError):
    """A rule said no; the message names the rule and when it will allow the action."""


def _day(value: datetime.date) -> str:
    return full_date(value)


def _customer_url(customer):
    return reverse("crm:customer_detail", args=[customer.pk])


# --- the two primitives every change is made of -------------------------------------------------


def _start_claim(*, customer, holder, actor, kind, policy, reason="", from_user=None, dispute=None, **code) -> Claim:
    today = timezone.localdate()
    claim = Claim.objects.create(
        customer=customer, holder=holder, renewed_on=today, protected_until=policy.protected_until(customer, today)
    )
    customer.owner, customer.pool_since, customer.pool_reason = holder, None, ""
    customer.save(update_fields=["owner", "pool_since", "pool_reason", "updated_at"])
    Reminder.objects.open().filter(customer=customer).update(assignee=holder)
    _record(customer=customer, kind=kind, actor=actor, claim=claim, from_user=from_user, to_user=holder,
            reason=reason, dispute=dispute, **code)  # fmt: skip
    _announce_change_of_hands(customer=customer, kind=kind, actor=actor, from_user=from_user, to_user=holder,
                              reason=reason, dispute=dispute)  # fmt: skip
    return claim


def _end_claim(*, customer, end_reason, pool_reason=None) -> Claim | None:
    """End the active claim; with a pool reason the customer goes to the pool and its reminders close."""
    claim = Claim.objects.select_for_update().active().filter(customer=customer).first()
    if claim:
        claim.ended_at, claim.end_reason = timezone.now(), end_reason
        claim.save(update_fields=["ended_at", "end_reason"])
    if pool_reason:
        customer.owner, customer.pool_since, customer.pool_reason = None, timezone.now(), pool_reason
        customer.save(update_fields=["owner", "pool_since", "pool_reason", "updated_at"])
        Reminder.objects.open().filter(customer=customer).update(
            state=ReminderState.DISMISSED, dismissed_reason=PoolReason(pool_reason).label, closed_at=timezone.now()
        )
    return claim


def ownership_change_payload(*, customer, kind, by, from_user=None, to_user=None, reason="", dispute=None) -> dict:
    """The webhook `ownership.changed`'s data: a new holder, or the pool (`to` is None); `by` None: a sweep."""
    return {
        "customer": customer_ref(customer),
        "change": kind,
        "from": user_ref(from_user),
        "to": user_ref(to_user),
        "actor": user_ref(by),
        "reason": reason,
        "dispute_id": getattr(dispute, "pk", None),
    }


def _announce_change_of_hands(*, actor, **change):
    """`ownership.changed`, sent once the change commits."""
    emit(Event.OWNERSHIP_CHANGED, ownership_change_payload(by=actor, **change))


# Renewals and warnings happen with every visit and every morning: history, but not changes of hands.
NOT_AUDITED = {EventKind.RENEWED, EventKind.WARNED}


def _record(
    *, customer, kind, actor, claim=None, from_user=None, to_user=None, reason="", dispute=None, reason_code="",
    reason_params=None,
):  # fmt: skip
    """The history row; a reason the system words goes in as `reason_code` + `reason_params` (crm.reasons)."""
    event = OwnershipEvent(
        customer=customer,
        claim=claim,
        kind=kind,
        actor=actor,
        from_user=from_user,
        to_user=to_user,
        protected_until=claim.protected_until if claim else None,
        reason=reason,
        reason_code=reason_code,
        reason_params=reason_params,
        dispute=dispute,
    )
    if kind not in NOT_AUDITED:
        with translation.override(settings.LANGUAGE_CODE):  # the audit trail is read by admins in one language
            written = event.reason_display
        audit.record(
            AuditAction.OWNERSHIP,
            actor=actor,
            subject=customer,
            summary=f"{EventKind(kind).label}: {from_user or '—'} → {to_user or '—'}",
            detail={
                "kind": kind,
                "from": getattr(from_user, "pk", None),
                "to": getattr(to_user, "pk", None),
                "reason": written,
                "dispute": getattr(dispute, "pk", None),
            },  # fmt: skip
        )
    event.save()
    return event


# --- the pool -------------------------------------------------------------------------------------


# The history rows in which a rep released or lost a customer: each starts their re-claim cool-down.
LOST_KINDS = [EventKind.RELEASED, EventKind.LAPSED, EventKind.TRANSFERRED, EventKind.DECIDED]


@dataclass(frozen=True)
class ClaimWait:
    """The two date rules of a pool claim for one rep and customer, as local days."""

    pool_since: datetime.date | None = None
    pool_opens: datetime.date | None = None  # the pool delay: nobody claims before this day
    lost_on: datetime.date | None = None
    cooldown_opens: datetime.date | None = None  # this rep's cool-down after releasing or losing it

    def opens(self, today: datetime.date) -> datetime.date | None:
        """The first day this rep may claim the customer, if that is after `today`."""
        return max((day for day in (self.pool_opens, self.cooldown_opens) if day and day > today), default=None)


def claim_waits(*, customers, rep: User, policy: OwnershipPolicy, today: datetime.date) -> dict[int, ClaimWait]:
    """The pool delay and `rep`'s cool-down for each customer, in one query however many customers."""
    customers = list(customers)
    lost = {}
    if policy.reclaim_cooldown_days and customers:
        # A cool-down counts local days: lost on day D, claimable again on D + the cool-down days.
        since = day_start(today - datetime.timedelta(days=policy.reclaim_cooldown_days - 1))
        lost = dict(
            OwnershipEvent.objects.filter(
                customer__in=[customer.pk for customer in customers], from_user=rep, kind__in=LOST_KINDS, at__gte=since
            )
            .order_by()
            .values("customer")
            .annotate(last=Max("at"))
            .values_list("customer", "last")
        )
    waits = {}
    for customer in customers:
        pool_since = timezone.localdate(customer.pool_since) if customer.pool_since else None
        lost_on = timezone.localdate(lost[customer.pk]) if customer.pk in lost else None
        waits[customer.pk] = ClaimWait(
            pool_since=pool_since,
            pool_opens=pool_since + datetime.timedelta(days=policy.pool_claim_delay_days) if pool_since else None,
            lost_on=lost_on,
            cooldown_opens=lost_on + datetime.timedelta(days=policy.reclaim_cooldown_days) if lost_on else None,
        )
    return waits


def claimable_from(*, customers, rep: User, policy: OwnershipPolicy | None = None, today=None) -> dict:
    """For each pool customer `rep` may not claim yet by date, the first local day they may: the later of the
    pool delay and their own cool-down. What every page that offers a claim shows on its disabled button."""
    policy = policy or OwnershipPolicy.current()
    today = today or timezone.localdate()
    waits = claim_waits(customers=customers, rep=rep, policy=policy, today=today)
    return {pk: day for pk, wait in waits.items() if (day := wait.opens(today))}


def holding_limit_refusal(
    *, holder: User, policy: OwnershipPolicy, customer: Customer, actor: User | None = None
) -> str:
    """Why `holder` may not gain `customer` by the holding limit ("" if they may): one rule for claims from the
    pool and for registrations. Call it with the holder's row locked, so parallel gains cannot pass the limit."""
    if customer.status in policy.statuses_outside_limit:
        return ""
    limit = policy.holding_limit_for(holder)
    held = Holding.objects.held_toward_limit(holder, policy)
    if held < limit:
        return ""
    if actor is not None and actor.pk != holder.pk:  # a referral that would go to the introducer's rep
        return _(
            "This referral would belong to %(rep)s, who holds %(held)s customers: the holding limit is %(limit)s. "
            "%(rep)s may release a customer to the pool first, or their manager may raise the limit."
        ) % {"rep": holder, "held": held, "limit": limit}
    return _(
        "You hold %(held)s customers and the holding limit is %(limit)s. Release a customer to the pool "
        "first, or ask your manager for a higher limit."
    ) % {"held": held, "limit": limit}


def claim_refusal(*, customer: Customer, rep: User, policy: OwnershipPolicy, now=None) -> str:
    """Why `rep` may not claim `customer` from the pool now ("" if they may)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if customer.owner_id:
        return _("%(name)s is already held by %(owner)s.") % {"name": customer.name, "owner": customer.owner}
    wait = claim_waits(customers=[customer], rep=rep, policy=policy, today=today)[customer.pk]
    opens = wait.opens(today)
    # Of the two date rules, the one that ends later is the one to name: its day is the rep's day.
    if opens and opens == wait.cooldown_opens:
        return _(
            "You released or lost this customer on %(day)s. The re-claim cool-down is %(days)s days: "
            "you may claim it again from %(opens)s."
        ) % {"day": _day(wait.lost_on), "days": policy.reclaim_cooldown_days, "opens": _day(opens)}
    if opens:
        return _(
            "This customer came back to the pool on %(since)s. Customers new to the pool wait "
            "%(days)s day(s) before anyone may claim them: you may claim it from %(opens)s."
        ) % {"since": _day(wait.pool_since), "days": policy.pool_claim_delay_days, "opens": _day(opens)}
    refusal = holding_limit_refusal(holder=rep, policy=policy, customer=customer)
    if refusal:
        return refusal
    claimed_today = OwnershipEvent.objects.filter(actor=rep, kind=EventKind.CLAIMED, at__gte=day_start(today)).count()
    if claimed_today >= policy.daily_claim_cap:
        return _(
            "You have claimed %(count)s customers from the pool today, the daily limit. "
            "You may claim again from %(tomorrow)s."
        ) % {"count": claimed_today, "tomorrow": _day(today + datetime.timedelta(days=1))}
    return ""


@transaction.atomic
def claim_from_pool(*, customer: Customer, actor: User) -> Claim:
    """First come, first served: the customer row is locked, so of two reps at once one gets it."""
    if not can_claim(actor):
        raise PermissionDenied
    lock(User, actor.pk)  # one claim at a time per rep, so the holding limit and daily cap hold under load
    customer = lock(Customer, customer.pk)
    policy = OwnershipPolicy.current()
    refusal = claim_refusal(customer=customer, rep=actor, policy=policy)
    if refusal:
        raise OwnershipRefused(refusal)
    return _start_claim(customer=customer, holder=actor, actor=actor, kind=EventKind.CLAIMED, policy=policy)


@transaction.atomic
def claim_release(*, customer: Customer, actor: User, reason: str) -> None:
    """The holder (or their manager) gives the customer back to the pool, saying why."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the customer goes back to the pool.")})
    customer = lock(Customer, customer.pk)
    holder = customer.owner
    if holder is None:
        raise OwnershipRefused(_("This customer is already in the pool."))
    if not can_release(actor, customer):
        raise PermissionDenied
    claim = _end_claim(customer=customer, end_reason=EndReason.RELEASED, pool_reason=PoolReason.RELEASED)
    _record(customer=customer, kind=EventKind.RELEASED, actor=actor, claim=claim, from_user=holder, reason=reason)
    _announce_change_of_hands(customer=customer, kind=EventKind.RELEASED, actor=actor, from_user=holder, reason=reason)


@transaction.atomic
def claim_transfer(*, customer: Customer, actor: User, to_user: User, reason: str) -> Claim:
    """A manager moves a customer to another rep (e.g. the customer asked: DOMAIN rule 9)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the customer changes hands.")})
    customer = lock(Customer, customer.pk)
    holder = customer.owner
    if not can_transfer(actor, customer):
        raise PermissionDenied
    if not can_transfer_to(actor, to_user):
        raise ValidationError({"to_user": _("Choose a current member of your team.")})
    if holder and holder.pk == to_user.pk:
        raise ValidationError({"to_user": _("%(name)s already holds this customer.") % {"name": to_user}})
    _end_claim(customer=customer, end_reason=EndReason.TRANSFERRED)
    claim = _start_claim(
        customer=customer,
        holder=to_user,
        actor=actor,
        kind=EventKind.TRANSFERRED,
        policy=OwnershipPolicy.current(),
        reason=reason,
        from_user=holder,
    )
    link = _customer_url(customer)
    notify([to_user], kind=NotificationKind.CUSTOMER_ASSIGNED, customer=customer, detail=reason, link=link)
    notify([holder], kind=NotificationKind.CUSTOMER_TAKEN, customer=customer, detail=reason, link=link)
    return claim


def claim_protect_buyer(*, customer, by) -> Claim | None:
    """A customer who has just bought from us is protected as a buying customer (DOMAIN §5.3): the holder's
    period is counted again from the latest follow-up, with the longer protection."""
    claim = Claim.objects.select_for_update().active().filter(customer=customer).first()
    if claim is None:
        return None
    until = OwnershipPolicy.current().protected_until(customer, claim.renewed_on)
    if until <= claim.protected_until:
        return claim
    claim.protected_until = until
    claim.save(update_fields=["protected_until"])
    _record(customer=customer, kind=EventKind.RENEWED, actor=by, claim=claim, to_user=claim.holder)
    return claim


def claim_renew(*, visit, customer) -> Claim | None:
    """A follow-up the holder logs restarts the protection clock from the day of the contact."""
    if visit.author_id != customer.owner_id:
        return None
    policy = OwnershipPolicy.current()
    if visit.method == "phone" and not policy.phone_renews:
        return None
    claim = Claim.objects.select_for_update().active().filter(customer=customer).first()
    day = timezone.localdate(visit.started_at)
    if claim is None or day <= claim.renewed_on:
        return claim
    claim.renewed_on = day
    claim.protected_until = max(claim.protected_until, policy.protected_until(customer, day))
    claim.save(update_fields=["renewed_on", "protected_until"])
    _record(customer=customer, kind=EventKind.RENEWED, actor=visit.author, claim=claim, to_user=visit.author)
    Reminder.objects.open().filter(customer=customer, kind=ReminderKind.CLAIM_LAPSING).update(
        state=ReminderState.DONE, closed_at=timezone.now(), closed_by_visit=visit
    )
    return claim


# --- registration ---------------------------------------------------------------------------------


class RegistrationOutcome(models.TextChoices):
    """What became of a registration attempt or an edit; templates compare the values ("pool", "similar", ...)."""

    CREATED = "created"  # registered (an edit: SAVED)
    SAVED = "saved"
    SIMILAR = "similar"  # a similar name: nothing saved until the rep confirms it is another company
    POOL = "pool"  # the same company sits in the pool: claim it instead
    OWN = "own"  # the actor holds it already
    VISIBLE = "visible"  # a manager or admin sees its holder's card
    COLLISION = "collision"  # another rep holds it under protection: a dispute was opened
    DUPLICATE = "duplicate"  # an imported row of a registered company: refused


@dataclass
class Registration:
    """What became of a registration attempt (or an edit of a customer's name, code or phones), for the view."""

    outcome: RegistrationOutcome
    customer: Customer | None = None
    dispute: Dispute | None = None
    matches: list[Match] = field(default_factory=list)

    def __post_init__(self):
        self.outcome = RegistrationOutcome(self.outcome)  # a misspelt outcome fails here, not in a template


def _serialize_registrations(customer: Customer):
    """Registrations of the same name, code or phone wait for each other, so the check cannot race."""
    if connection.vendor != "postgresql":
        return  # SQLite allows one writer at a time anyway
    keys = {f"name:{customer.name_normalized}"} if customer.name_normalized else set()
    if customer.credit_code:
        keys.add(f"code:{customer.credit_code}")
    keys |= {f"phone:{number}" for number in split_phones(customer.phones)}
    with connection.cursor() as cursor:
        for key in sorted(keys):  # one order everywhere: no deadlocks
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def _duplicate_check(customer: Customer, keys: dict | None = None):
    """Every match of a new customer (serialized with concurrent registrations), and the strong ones.

    `keys` narrows the check to some of the customer's keys (an edit checks what it adds); the customer itself,
    if saved, is never its own match.
    """
    customer.name_normalized = normalize_name(customer.name)
    _serialize_registrations(customer)
    if keys is None:
        keys = {"name": customer.name, "phones": customer.phones, "credit_code": customer.credit_code,
                "group_name": customer.group_name}  # fmt: skip
    matches = find_duplicates(**keys, exclude_pk=customer.pk)
    return matches, [match for match in matches if match.is_strong]


def _answer_strong_match(*, customer: Customer, actor: User, strong: list[Match], matches: list[Match]):
    """The same company is registered already (rules 2, 4 and 6): offer it from the pool, open it for its holder,
    show it to a manager who sees it, or else it is a collision and a dispute opens with what was typed."""
    existing = lock(Customer, strong[0].customer.pk)
    if existing.owner_id is None:
        return Registration(RegistrationOutcome.POOL, existing, matches=matches)
    if existing.owner_id == actor.pk:
        return Registration(RegistrationOutcome.OWN, existing, matches=matches)
    if Customer.objects.visible_to(actor).filter(pk=existing.pk).exists() and not actor.is_rep:
        return Registration(RegistrationOutcome.VISIBLE, existing, matches=matches)
    attempt = {
        "name": customer.name,
        "phones": customer.phones,
        "credit_code": customer.credit_code,
        "need": customer.need,
        "at": timezone.now().isoformat(),
    }
    if customer.pk:  # an edit: the challenger's own record, registered then, is part of their evidence
        attempt |= {"edit_of": customer.pk, "registered_at": customer.created_at.isoformat()}
    dispute = _open_dispute(
        customer=existing,
        challenger=actor,
        opened_by=actor,
        kind=DisputeKind.COLLISION,
        # Words would be stored in the registering rep's language; the typed data reads in any.
        statement=" · ".join(part for part in (customer.name, customer.phones, customer.need) if part),
        attempt=attempt,
    )
    return Registration(RegistrationOutcome.COLLISION, existing, dispute=dispute, matches=matches)


def _announce_registration(customer: Customer, actor: User, *, source: str) -> None:
    """The webhook `customer.registered` (a first holder is also announced as `ownership.changed`)."""
    emit(Event.CUSTOMER_REGISTERED, {"customer": customer_ref(customer), "registered_by": user_ref(actor),
                                     "source": source})  # fmt: skip


@transaction.atomic
def customer_register(
    *,
    customer: Customer,
    actor: User,
    confirmed_new: bool = False,
    introducer_came_along: bool = False,
    asked_for: User | None = None,
    same_as: int | None = None,
) -> Registration:
    """The only way a rep creates a customer: duplicate check first, then create and claim (DOMAIN rules 1–6).

    `same_as` is the rep's answer to a similar name, "it is this one": that candidate is then taken as a strong
    match. Only one the check finds for the typed name may be named, so the answer reaches no other customer.
    """
    if not can_register(actor):
        raise PermissionDenied
    matches, strong = _duplicate_check(customer)
    if same_as is not None and not strong:
        matches = confirm_same(matches, same_as)
        if matches is None:
            raise ValidationError(
                _("The customer you chose no longer matches the name you typed. Check the matches again.")
            )
        strong = [match for match in matches if match.is_strong]
    if strong:
        return _answer_strong_match(customer=customer, actor=actor, strong=strong, matches=matches)
    if matches and not confirmed_new:
        return Registration(RegistrationOutcome.SIMILAR, matches=matches)

    policy = OwnershipPolicy.current()
    holder, reason = actor, {}
    referrer = customer.referred_by
    if referrer is not None:
        referrer_owner = referrer.owner
        if referrer_owner and (introducer_came_along or (asked_for and asked_for.pk == referrer_owner.pk)):
            holder = referrer_owner  # DOMAIN rule 5: a referral belongs to the introducer's rep
            reason = {
                "reason_code": reasons.REFERRAL_OWNED,
                "reason_params": {"referrer": str(referrer), "rep": str(holder)},
            }
        else:
            reason = {"reason_code": reasons.REFERRAL_NOTED, "reason_params": {"referrer": str(referrer)}}
    if not holder.is_admin:
        lock(User, holder.pk)  # as a claim does: parallel registrations and claims cannot pass the holding limit
        refusal = holding_limit_refusal(holder=holder, policy=policy, customer=customer, actor=actor)
        if refusal:
            raise OwnershipRefused(refusal)
    if holder.is_admin:
        # Admins do not sell: what they register (e.g. typed in from a trade-fair list) starts in the pool.
        customer.pool_since, customer.pool_reason = timezone.now(), PoolReason.IMPORTED
        customer_save(customer=customer, actor=actor)
        _record(customer=customer, kind=EventKind.REGISTERED, actor=actor, **reason)
        _announce_registration(customer, actor, source="registration")
        return Registration(RegistrationOutcome.CREATED, customer, matches=matches)
    customer_save(customer=customer, actor=actor)
    _start_claim(customer=customer, holder=holder, actor=actor, kind=EventKind.REGISTERED, policy=policy, **reason)
    _announce_registration(customer, actor, source="registration")
    if holder.pk != actor.pk:
        notify(
            [holder], kind=NotificationKind.CUSTOMER_ASSIGNED, customer=customer, link=_customer_url(customer),
            **reason,
        )  # fmt: skip
    return Registration(RegistrationOutcome.CREATED, customer, matches=matches)


def _keys_added(customer: Customer) -> dict:
    """The duplicate-check keys an edit adds to a saved customer: a changed name, credit code or group (as the
    check compares them, normalized) and phone numbers it did not have. Removing a phone matches nobody new."""
    stored = Customer.objects.values("name_normalized", "credit_code", "group_key").get(pk=customer.pk)
    stored_numbers = set(customer.phone_numbers.values_list("number", flat=True))
    keys = {}
    if normalize_name(customer.name) != stored["name_normalized"]:
        keys["name"] = customer.name
    if customer.credit_code and clean_credit_code(customer.credit_code) != stored["credit_code"]:
        keys["credit_code"] = customer.credit_code
    if customer.group_name and normalize_name(customer.group_name) != stored["group_key"]:
        keys["group_name"] = customer.group_name
    new_numbers = [number for number in split_phones(customer.phones) if number not in stored_numbers]
    if new_numbers:
        keys["phones"] = ", ".join(new_numbers)
    return keys


@transaction.atomic
def customer_edit(*, customer: Customer, actor: User, confirmed_new: bool = False) -> Registration:
    """Save an edited customer. A new name, credit code, group or phone runs the registration's duplicate check
    first, so an edit cannot turn a harmless registration into a second record of someone else's customer: a
    strong match is refused as registration answers it (the pool's offer, or a collision and its dispute),
    whoever edits; a merely similar name asks to confirm. A manager may not merge two records by editing either."""
    if not Customer.objects.editable_by(actor).filter(pk=customer.pk).exists():
        raise PermissionDenied
    keys = _keys_added(customer)
    if keys:
        matches, strong = _duplicate_check(customer, keys)
        if strong:
            return _answer_strong_match(customer=customer, actor=actor, strong=strong, matches=matches)
        if matches and not confirmed_new:
            return Registration(RegistrationOutcome.SIMILAR, matches=matches)
    customer_save(customer=customer, actor=actor)
    return Registration(RegistrationOutcome.SAVED, customer)


@transaction.atomic
def customer_register_imported(
    *, customer: Customer, actor: User, owner: User | None, reason_code: str, reason_params: dict
) -> Registration:
    """One row of a spreadsheet import by a manager or admin: the registration's duplicate check, but a strong
    match refuses the row ("duplicate": a file opens no dispute), and the customer goes to the owner the file
    names or, with none, to the pool (DOMAIN §5 rule 4)."""
    if not can_register_for_others(actor):
        raise PermissionDenied
    if owner is not None and not can_transfer_to(actor, owner):
        raise ValidationError({"owner": _("Choose a current member of your team.")})
    matches, strong = _duplicate_check(customer)
    if strong:
        return Registration(RegistrationOutcome.DUPLICATE, strong[0].customer, matches=matches)
    if owner is None:
        customer.pool_since, customer.pool_reason = timezone.now(), PoolReason.IMPORTED
        customer_save(customer=customer, actor=actor)
        _announce_registration(customer, actor, source="import")
        _record(customer=customer, kind=EventKind.REGISTERED, actor=actor, reason_code=reason_code,
                reason_params=reason_params)  # fmt: skip
    else:
        customer_save(customer=customer, actor=actor)
        _start_claim(customer=customer, holder=owner, actor=actor, kind=EventKind.REGISTERED,
                     policy=OwnershipPolicy.current(), reason_code=reason_code,
                     reason_params=reason_params)  # fmt: skip
        _announce_registration(customer, actor, source="import")
    return Registration(RegistrationOutcome.CREATED, customer, matches=matches)


# --- disputes -------------------------------------------------------------------------------------


def _open_dispute(*, customer, challenger, opened_by, kind, statement, attempt=None) -> Dispute:
    policy = OwnershipPolicy.current()
    holder = customer.owner
    existing = Dispute.objects.open().filter(customer=customer, challenger=challenger).first()
    if existing:
        return existing
    team, arbiter_reason = dispute_route(holder, challenger, policy)
    dispute = Dispute.objects.create(
        customer=customer,
        kind=kind,
        holder=holder,
        challenger=challenger,
        opened_by=opened_by,
        statement=statement,
        attempt=attempt or {},
        team=team,
        arbiter_reason=arbiter_reason,
    )
    claim = Claim.objects.active().filter(customer=customer).first()
    _record(
        customer=customer, kind=EventKind.DISPUTED, actor=opened_by, claim=claim, from_user=holder,
        to_user=challenger, reason=statement, dispute=dispute,
    )  # fmt: skip
    notify(
        [holder, challenger, *_deciders(dispute)],
        kind=NotificationKind.DISPUTE_OPENED,
        customer=customer,
        # Who decides comes first: the statement may be long, and the detail is cut at 255 characters.
        detail=f"{dispute.decider_text}\n{statement}",
        link=reverse("claims:dispute_detail", args=[dispute.pk]),
    )
    return dispute


def _deciders(dispute: Dispute) -> list[User]:
    """Who is told a dispute waits for them: its team's manager, else every current admin not a party."""
    if dispute.deciding_manager is not None:
        return [dispute.deciding_manager]
    return list(User.objects.current().filter(role="admin").exclude(pk__in=[dispute.holder_id, dispute.challenger_id]))


@transaction.atomic
def dispute_open(
    *, customer: Customer, actor: User, statement: str, kind=DisputeKind.CLAIM, challenger: User | None = None
) -> Dispute:
    """A rep says they were first (rule 6), or a manager records that the customer wants another rep (rule 9)."""
    if not can_open_dispute(actor, customer, kind=kind, challenger=challenger):
        raise PermissionDenied  # a customer's wish is recorded by the manager who heard it, for one of their people
    statement = statement.strip()
    if not statement:
        raise ValidationError({"statement": _("Give your case: when you first contacted the customer, and how.")})
    customer = lock(Customer, customer.pk)
    challenger = challenger or actor
    if not sells(challenger):
        raise ValidationError({"challenger": _("Choose a current rep.")})
    if customer.owner_id is None:
        raise OwnershipRefused(_("This customer is in the pool: claim it instead."))
    if customer.owner_id == challenger.pk:
        if challenger.pk == actor.pk:
            raise OwnershipRefused(_("You already hold this customer."))
        raise OwnershipRefused(_("%(name)s already holds this customer.") % {"name": challenger})
    return _open_dispute(customer=customer, challenger=challenger, opened_by=actor, kind=kind, statement=statement)


@transaction.atomic
def dispute_decide(
    *, dispute: Dispute, actor: User, outcome: str, reason: str, holder_share: int | None = None
) -> Dispute:
    """The decider's word, applied at once: ownership, credit and history change together."""
    dispute = lock(Dispute, dispute.pk)
    if dispute.state != DisputeState.OPEN:
        raise OwnershipRefused(_("This dispute was already decided."))
    if not can_decide_dispute(actor, dispute):
        if dispute.is_party(actor):
            raise OwnershipRefused(
                _("You are a party to this dispute and cannot decide it. %(decider)s")
                % {"decider": dispute.decider_text}
            )
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Write the reason for the decision: both reps will read it.")})
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    if outcome == Outcome.SPLIT and not (holder_share and 1 <= holder_share <= 99):
        raise ValidationError({"holder_share": _("A split gives each rep between 1% and 99%.")})
    customer = lock(Customer, dispute.customer_id)
    policy = OwnershipPolicy.current()
    holder = customer.owner
    challenger = dispute.challenger
    if customer.owner_id != dispute.holder_id:
        raise OwnershipRefused(
            _("The customer changed hands since this dispute was opened (now: %(owner)s). Open a new dispute.")
            % {"owner": holder or _("the pool")}
        )
    if outcome in (Outcome.TRANSFER, Outcome.SPLIT) and not sells(challenger):
        raise OwnershipRefused(_("%(name)s has left: the customer cannot go to them.") % {"name": challenger})
    claim = Claim.objects.select_for_update().active().filter(customer=customer).first()
    if outcome == Outcome.KEEP:
        _record(customer=customer, kind=EventKind.DECIDED, actor=actor, claim=claim, to_user=holder,
                reason=reason, dispute=dispute)  # fmt: skip
    elif outcome == Outcome.TRANSFER:
        _end_claim(customer=customer, end_reason=EndReason.DECIDED)
        _start_claim(customer=customer, holder=challenger, actor=actor, kind=EventKind.DECIDED, policy=policy,
                     reason=reason, from_user=holder, dispute=dispute)  # fmt: skip
    elif outcome == Outcome.SPLIT:
        claim.holder_share, claim.shared_with = holder_share, challenger
        claim.save(update_fields=["holder_share", "shared_with"])
        # The shares are the dispute's (holder_share, challenger_share), shown with names and sides from there.
        _record(customer=customer, kind=EventKind.DECIDED, actor=actor, claim=claim, to_user=holder,
                reason=reason, dispute=dispute)  # fmt: skip
    else:
        ended = _end_claim(customer=customer, end_reason=EndReason.DECIDED, pool_reason=PoolReason.DECIDED)
        _record(customer=customer, kind=EventKind.DECIDED, actor=actor, claim=ended, from_user=holder,
                reason=reason, dispute=dispute)  # fmt: skip
        _announce_change_of_hands(customer=customer, kind=EventKind.DECIDED, actor=actor, from_user=holder,
                                  reason=reason, dispute=dispute)  # fmt: skip
    audit.record(
        AuditAction.DISPUTE_DECISION,
        actor=actor,
        subject=customer,
        summary=f"{Outcome(outcome).label}: {reason}",
        detail={
            "dispute": dispute.pk,
            "outcome": outcome,
            "holder": dispute.holder_id,
            "challenger": dispute.challenger_id,
            "holder_share": holder_share,
        },  # fmt: skip
    )
    dispute.state, dispute.outcome, dispute.reason = DisputeState.DECIDED, outcome, reason
    dispute.decided_by, dispute.decided_at = actor, timezone.now()
    if outcome == Outcome.SPLIT:
        dispute.holder_share, dispute.challenger_share = holder_share, 100 - holder_share
    dispute.save()
    notify(
        [dispute.holder, challenger],
        kind=NotificationKind.DISPUTE_DECIDED,
        customer=customer,
        detail=reason,
        reason_code=DISPUTE_DECIDED,
        reason_params=decided_params(dispute),
        link=reverse("claims:dispute_detail", args=[dispute.pk]),
    )
    emit(Event.DISPUTE_DECIDED, {"dispute": _dispute_payload(dispute), "customer": customer_ref(customer)})
    return dispute


def _dispute_payload(dispute: Dispute) -> dict:
    return {
        "id": dispute.pk,
        "kind": dispute.kind,
        "outcome": dispute.outcome,
        "reason": dispute.reason,
        "holder": user_ref(dispute.holder),
        "challenger": user_ref(dispute.challenger),
        "holder_share": dispute.holder_share,
        "challenger_share": dispute.challenger_share,
        "decided_by": user_ref(dispute.decided_by),
        "decided_at": dispute.decided_at,
        "url": settings.SITE_URL + reverse("claims:dispute_detail", args=[dispute.pk]),
    }


# --- departure ------------------------------------------------------------------------------------


@transaction.atomic
def rep_depart(*, rep: User, actor: User, reassign_to: User | None = None, reason: str = "") -> int:
    """A rep leaves (rule 8): they can no longer log in; their customers go to a colleague or the pool."""
    if not can_depart(actor, rep):
        raise PermissionDenied
    if reassign_to is not None and (reassign_to.pk == rep.pk or not can_transfer_to(actor, reassign_to)):
        raise ValidationError({"reassign_to": _("Choose a current member of your team.")})
    rep = lock(User, rep.pk)
    policy = OwnershipPolicy.current()
    reason = reason.strip()
    # Without a reason typed, the system's words, in each reader's language.
    code = {} if reason else {"reason_code": reasons.DEPARTED, "reason_params": {"name": str(rep)}}
    moved = 0
    for customer in Customer.objects.select_for_update().filter(owner=rep).order_by("pk"):
        if reassign_to:
            _end_claim(customer=customer, end_reason=EndReason.DEPARTED)
            _start_claim(customer=customer, holder=reassign_to, actor=actor, kind=EventKind.DEPARTED,
                         policy=policy, reason=reason, from_user=rep, **code)  # fmt: skip
        else:
            claim = _end_claim(customer=customer, end_reason=EndReason.DEPARTED, pool_reason=PoolReason.DEPARTED)
            _record(customer=customer, kind=EventKind.DEPARTED, actor=actor, claim=claim, from_user=rep,
                    reason=reason, **code)  # fmt: skip
            _announce_change_of_hands(customer=customer, kind=EventKind.DEPARTED, actor=actor, from_user=rep,
                                      reason=reason)  # fmt: skip
        moved += 1
    if rep.is_active or not rep.has_departed:
        # Only now that they hold nothing: the model refuses to strand customers. A day already recorded stays.
        rep.mark_departed(rep.departed_at)
    if reassign_to and moved:
        notify([reassign_to], kind=NotificationKind.CUSTOMER_ASSIGNED, detail=reason, **code,
               link=reverse("crm:customer_list") + f"?owner={reassign_to.pk}")  # fmt: skip
    return moved
