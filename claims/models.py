"""Who owns a customer, for how long, and the append-only record of every change (DOMAIN §5)."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Team
from crm import reasons
from crm.formatting import iso_date_time
from crm.models import Customer, Grade, Status


class Arbiter(models.TextChoices):
    TEAM_MANAGER = "team_manager", _("The team's manager inside a team, an admin otherwise")
    ADMIN = "admin", _("Admins only")


class OwnershipPolicy(models.Model):
    """The team's ownership rules as one editable row; every refusal quotes them."""

    prospect_protection_days = models.PositiveSmallIntegerField(
        _("protection for prospects (days)"), default=90, validators=[MinValueValidator(1)]
    )
    grade_a_protection_days = models.PositiveSmallIntegerField(
        _("protection for A prospects (days)"), null=True, blank=True, help_text=_("Empty: as for all prospects.")
    )
    grade_b_protection_days = models.PositiveSmallIntegerField(
        _("protection for B prospects (days)"), null=True, blank=True, help_text=_("Empty: as for all prospects.")
    )
    grade_c_protection_days = models.PositiveSmallIntegerField(
        _("protection for C prospects (days)"), null=True, blank=True, help_text=_("Empty: as for all prospects.")
    )
    active_protection_days = models.PositiveSmallIntegerField(
        _("protection for buying customers (days)"), default=365, validators=[MinValueValidator(1)]
    )
    warning_days = models.PositiveSmallIntegerField(_("warn the owner before lapse (days)"), default=7)
    holding_limit = models.PositiveIntegerField(_("customers a rep may hold"), default=200)
    active_count_toward_limit = models.BooleanField(_("buying customers count toward the limit"), default=False)
    daily_claim_cap = models.PositiveSmallIntegerField(_("claims from the pool per rep per day"), default=10)
    reclaim_cooldown_days = models.PositiveSmallIntegerField(
        _("days before a rep may re-claim a customer they released or lost"), default=30
    )
    pool_claim_delay_days = models.PositiveSmallIntegerField(
        _("days a customer stays in the pool before anyone may claim it"),
        default=1,
        help_text=_("So that the lapse sweep is no race: nobody waits at midnight for a customer to drop."),
    )
    phone_renews = models.BooleanField(_("a phone call renews protection"), default=True)
    arbiter = models.CharField(
        _("who decides disputes"), max_length=20, choices=Arbiter.choices, default="team_manager"
    )

    class Meta:
        verbose_name = _("ownership policy")
        verbose_name_plural = _("ownership policy")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="ownership_policy_single_row")]

    def __str__(self):
        return str(_("Ownership policy"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls):
        return cls.objects.get_or_create(pk=1)[0]

    def protection_days(self, customer):
        """Buying customers are protected longer; a prospect's period may depend on its grade."""
        if customer.status == Status.ACTIVE:
            return self.active_protection_days
        by_grade = {Grade.A: self.grade_a_protection_days, Grade.B: self.grade_b_protection_days,
                    Grade.C: self.grade_c_protection_days}  # fmt: skip
        return by_grade.get(customer.grade) or self.prospect_protection_days

    def protected_until(self, customer, start: datetime.date) -> datetime.date:
        """The last protected day of a claim counted from `start` (registration or latest follow-up)."""
        return start + datetime.timedelta(days=self.protection_days(customer))

    @property
    def statuses_outside_limit(self):
        """Customers in these states do not count toward the holding limit: by default those who already buy."""
        return [] if self.active_count_toward_limit else [Status.ACTIVE]

    def holding_limit_for(self, user):
        override = HoldingLimit.objects.filter(user=user).values_list("holding_limit", flat=True).first()
        return self.holding_limit if override is None else override


class HoldingLimit(models.Model):
    """A rep allowed more (or fewer) customers than the policy's limit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.CASCADE, related_name="holding_limit"
    )
    holding_limit = models.PositiveIntegerField(_("customers this rep may hold"))

    class Meta:
        verbose_name = _("holding limit for a rep")
        verbose_name_plural = _("holding limits for reps")

    def __str__(self):
        return f"{self.user}: {self.holding_limit}"


class HoldingQuerySet(models.QuerySet):
    def held_toward_limit(self, holder, policy) -> int:
        """How many customers `holder` holds that count toward the holding limit: a few kept rows on PostgreSQL,
        the customers counted on SQLite (a newcomer's few; no trigger keeps the rows there)."""
        if connection.vendor != "postgresql":
            return Customer.objects.filter(owner=holder).exclude(status__in=policy.statuses_outside_limit).count()
        kept = self.filter(holder=holder).exclude(status__in=policy.statuses_outside_limit)
        return kept.aggregate(held=Coalesce(Sum("count"), 0))["held"]


class Holding(models.Model):
    """How many customers of one status a rep holds (`Customer.owner`, which the claims services keep equal to
    the active claim's holder). Kept by PostgreSQL triggers in the statement that changes a customer's holder or
    status (claims/holdings.py), so the holding limit reads a few rows instead of every customer the rep holds.
    Not kept on SQLite."""

    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20)
    count = models.IntegerField(default=0)

    objects = HoldingQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["holder", "status"], name="one_holding_per_holder_status")]

    def __str__(self):
        return f"{self.holder_id} · {self.status}: {self.count}"


class EndReason(models.TextChoices):
    LAPSED = "lapsed", _("Protection lapsed")
    RELEASED = "released", _("Released to the pool")
    TRANSFERRED = "transferred", _("Transferred")
    DECIDED = "decided", _("Changed by a dispute decision")
    DEPARTED = "departed", _("The rep left")


class ClaimQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)

    def lapsing_by(self, day):
        """Active claims whose last protected day is before `day`."""
        return self.active().filter(protected_until__lt=day)


class Claim(models.Model):
    """A rep's ownership of a customer, protected until a day. At most one is active per customer."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="claims")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="claims"
    )
    started_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    renewed_on = models.DateField(_("protection counted from"))
    protected_until = models.DateField(_("protected until"))
    # Split credit after a dispute: the holder keeps holder_share percent, shared_with the rest.
    holder_share = models.PositiveSmallIntegerField(
        _("holder's share of the credit (%)"), default=100, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    shared_with = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("credit shared with"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shared_claims",
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=20, choices=EndReason.choices, blank=True)
    # Marks the rows one lapse sweep ended, so it writes history for exactly those.
    ended_by_run = models.UUIDField(null=True, blank=True, editable=False)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(ended_at__isnull=True),
                name="one_active_claim_per_customer",
                violation_error_message=_("This customer already has an owner."),
            ),
            models.CheckConstraint(
                condition=(Q(holder_share=100) & Q(shared_with__isnull=True))
                | (Q(holder_share__gte=1) & Q(holder_share__lt=100) & Q(shared_with__isnull=False)),
                name="claim_split_names_the_other_rep",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, end_reason="") | (Q(ended_at__isnull=False) & ~Q(end_reason="")),
                name="claim_end_has_a_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["protected_until"], condition=Q(ended_at__isnull=True), name="claim_active_expiry"),
            models.Index(fields=["holder"], condition=Q(ended_at__isnull=True), name="claim_active_holder"),
        ]

    def __str__(self):
        return f"{self.customer} · {self.holder}"

    @property
    def other_share(self):
        return 100 - self.holder_share

    @property
    def split_text(self):
        """The credit split with a name and a side on each share, or "" when the holder has it all."""
        if self.shared_with_id is None:
            return ""
        return split_text(self.holder, self.holder_share, self.shared_with, self.other_share)


def split_text(holder, holder_share, challenger, challenger_share) -> str:
    """One way to write a split everywhere: by person and side, never by position ("30/70" read backwards)."""
    return _("%(holder)s (holder) %(holder_share)s %% · %(challenger)s (challenger) %(challenger_share)s %%") % {
        "holder": holder or "—",
        "holder_share": holder_share,
        "challenger": challenger,
        "challenger_share": challenger_share,
    }


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    RENEWED = "renewed", _("Renewed by a follow-up")
    WARNED = "warned", _("Warned of lapse")
    LAPSED = "lapsed", _("Lapsed to the pool")
    RELEASED = "released", _("Released to the pool")
    CLAIMED = "claimed", _("Claimed from the pool")
    TRANSFERRED = "transferred", _("Transferred")
    DISPUTED = "disputed", _("Dispute opened")
    DECIDED = "decided", _("Dispute decided")
    DEPARTED = "departed", _("Owner left the company")


class OwnershipEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("Ownership history cannot be changed."))

    def delete(self):
        raise ValidationError(_("Ownership history cannot be deleted."))


class OwnershipEvent(reasons.SystemReasonFields):
    """One line of a customer's ownership history. Rows are only ever added (the database refuses more)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="ownership_events"
    )
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for the scheduled jobs."),
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("ownership", "from"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("ownership", "to"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    protected_until = models.DateField(_("protected until"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    dispute = models.ForeignKey("Dispute", on_delete=models.PROTECT, null=True, blank=True, related_name="events")

    objects = OwnershipEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("ownership event")
        verbose_name_plural = _("ownership history")
        constraints = [
            # The lapse warning is written once per claim and protection day, however often the job runs.
            models.UniqueConstraint(
                fields=["claim", "protected_until"], condition=Q(kind="warned"), name="one_warning_per_claim_period"
            )
        ]
        indexes = [models.Index(fields=["customer", "-at"]), models.Index(fields=["actor", "kind", "at"])]

    def __str__(self):
        return f"{self.customer} · {self.get_kind_display()} · {iso_date_time(self.at)}"

    @property
    def reason_display(self):
        return reasons.show(self.reason_code, self.reason_params, self.reason)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Ownership history cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Ownership history cannot be deleted."))

    @property
    def split_text(self):
        """A split decision's shares by person and side, from its dispute (select_related "dispute__holder" and
        "dispute__challenger"): older rows wrote them into the reason by position ("30/70: why")."""
        return self.dispute.split_text if self.kind == EventKind.DECIDED and self.dispute_id else ""

    @property
    def shown_reason(self):
        """The reason to show beside the event: a split's typed reason (its shares are shown by name), else the
        stored reason in the reader's language."""
        return self.dispute.reason if self.split_text else self.reason_display


class DisputeKind(models.TextChoices):
    COLLISION = "collision", _("Collision: registered while another rep holds it")
    CLAIM = "claim", _("A rep claims they were first")
    CUSTOMER_WISH = "customer_wish", _("The customer asks for another rep")


class DisputeState(models.TextChoices):
    OPEN = "open", pgettext_lazy("dispute state", "Open")
    DECIDED = "decided", _("Decided")


class Outcome(models.TextChoices):
    KEEP = "keep", _("Keep the holder")
    TRANSFER = "transfer", _("Transfer to the challenger")
    SPLIT = "split", _("Split the credit")
    POOL = "pool", _("Return to the pool")


def _parse_outcome(text):
    """A decision notification written before the codes: "<outcome label>: <the decider's reason>"."""
    for value, label in Outcome.choices:
        if text.startswith(f"{label}: "):
            return {"outcome": value}, text[len(f"{label}: ") :]
    return None


def decided_params(dispute) -> dict:
    """What a decision's notification needs to word it in the reader's language: the outcome, and a split's
    shares with the names of the people who hold them."""
    params = {"outcome": dispute.outcome}
    if dispute.split_text:
        params |= {"holder": str(dispute.holder), "holder_share": dispute.holder_share,
                   "challenger": str(dispute.challenger), "challenger_share": dispute.challenger_share}  # fmt: skip
    return params


def _decided_wording(params):
    if "holder_share" in params:
        return split_text(params["holder"], params["holder_share"], params["challenger"], params["challenger_share"])
    return Outcome(params["outcome"]).label


DISPUTE_DECIDED = reasons.register("dispute_decided", _decided_wording, parse=_parse_outcome)


# Customary splits from the manuals (holder %, challenger %), offered as presets.
SPLIT_PRESETS = [
    (50, 50, _("50/50: both worked the customer without knowing")),
    (30, 70, _("70/30 to the challenger who closed, the holder helped")),
    (33, 67, _("2/3–1/3 to the challenger who closed")),
    (20, 80, _("80/20 against a holder whose follow-up records are missing")),
]


class ArbiterReason(models.TextChoices):
    """Why a dispute went to whom it went to, fixed when it is opened (DOMAIN §5.7)."""

    TEAM = "team", _("the reps are in the same team")
    MANAGER_IS_PARTY = "manager_is_party", _("the team's manager is a party")
    ACROSS_TEAMS = "across_teams", _("the reps are in different teams")
    NO_MANAGER = "no_manager", _("the team has no manager")
    POLICY = "policy", _("the policy has admins decide every dispute")


def dispute_route(holder, challenger, policy):
    """(team whose manager decides or None for the admins, reason): inside a team its manager decides,
    unless he is a party; across teams, by policy, or without a manager, an admin does."""
    if policy.arbiter != Arbiter.TEAM_MANAGER:
        return None, ArbiterReason.POLICY
    if holder is None or not holder.team_id or holder.team_id != challenger.team_id:
        return None, ArbiterReason.ACROSS_TEAMS
    team = holder.team
    if not team.manager_id:
        return None, ArbiterReason.NO_MANAGER
    if team.manager_id in (holder.pk, challenger.pk):
        return None, ArbiterReason.MANAGER_IS_PARTY
    return team, ArbiterReason.TEAM


class DisputeQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=DisputeState.OPEN)

    def for_admins(self):
        """Disputes no team's manager may decide: no team, or the team's manager became a party."""
        return self.filter(
            Q(team__isnull=True)
            | Q(team__manager__isnull=True)
            | Q(team__manager=models.F("holder"))
            | Q(team__manager=models.F("challenger"))
        )

    def visible_to(self, user):
        if user.is_admin:
            return self.all()
        if user.is_manager:
            return self.filter(Q(team__manager=user) | Q(holder=user) | Q(challenger=user))
        return self.filter(Q(holder=user) | Q(challenger=user))


class Dispute(models.Model):
    """Who should own a customer, for a manager or admin to decide; the holder keeps it meanwhile."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="disputes"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DisputeKind.choices)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("holder"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    challenger = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("challenger"), on_delete=models.PROTECT, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    statement = models.TextField(_("challenger's case"))
    attempt = models.JSONField(_("registration attempt"), default=dict, blank=True)
    team = models.ForeignKey(
        Team,
        verbose_name=_("decided within team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty: an admin decides."),
    )
    arbiter_reason = models.CharField(
        _("why they decide"), max_length=20, choices=ArbiterReason.choices, default=ArbiterReason.TEAM
    )
    state = models.CharField(_("state"), max_length=10, choices=DisputeState.choices, default=DisputeState.OPEN)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    holder_share = models.PositiveSmallIntegerField(_("holder's share (%)"), null=True, blank=True)
    challenger_share = models.PositiveSmallIntegerField(_("challenger's share (%)"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason for the decision"), blank=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["opened_at", "pk"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "challenger"],
                condition=Q(state="open"),
                name="one_open_dispute_per_customer_and_challenger",
                violation_error_message=_("You already have an open dispute on this customer."),
            ),
            models.CheckConstraint(
                condition=~Q(outcome="split")
                | Q(holder_share__gte=1, challenger_share__gte=1, holder_share__lte=99, challenger_share__lte=99),
                name="dispute_split_has_shares",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="split") | Q(holder_share=100 - models.F("challenger_share")),
                name="dispute_split_adds_to_100",
            ),
            models.CheckConstraint(
                condition=Q(state="open", outcome="") | (Q(state="decided") & ~Q(outcome="") & ~Q(reason="")),
                name="dispute_decision_has_outcome_and_reason",
            ),
        ]
        indexes = [models.Index(fields=["state", "team"])]

    def __str__(self):
        return f"{self.customer} · {self.challenger} ↔ {self.holder or '—'}"

    def is_party(self, user) -> bool:
        return user.pk in (self.holder_id, self.challenger_id)

    @property
    def deciding_manager(self):
        """The team's manager who decides, or None when an admin does (never a party to the dispute)."""
        manager = self.team.manager if self.team_id else None
        return None if manager is None or self.is_party(manager) else manager

    @property
    def decider_text(self) -> str:
        """Who decides and why, the same words on the queue, the page and the notifications."""
        manager = self.deciding_manager
        if manager is not None:
            return _("Decided by the team's manager, %(manager)s (%(team)s).") % {"manager": manager, "team": self.team}
        reason = self.get_arbiter_reason_display()
        if self.team_id and self.team.manager_id:  # the manager became a party after the dispute was opened
            reason = ArbiterReason.MANAGER_IS_PARTY.label
        elif self.arbiter_reason == ArbiterReason.TEAM:
            reason = ArbiterReason.NO_MANAGER.label
        text = _("Decided by an admin: %(reason)s.") % {"reason": reason}
        admins_in_it = [person for person in (self.holder, self.challenger) if person is not None and person.is_admin]
        if admins_in_it:
            text += " " + _("%(names)s, a party, may not decide it: another admin must.") % {
                "names": ", ".join(str(person) for person in admins_in_it)
            }
        return text

    @property
    def split_text(self) -> str:
        if self.outcome != Outcome.SPLIT or self.holder_share is None:
            return ""
        return split_text(self.holder, self.holder_share, self.challenger, self.challenger_share)
