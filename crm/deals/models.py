"""Deals (opportunities) and the stages they move through (DOMAIN §6), with their append-only stage history."""

import dataclasses
import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import ExpressionWrapper, F, Q, Value
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from crm.dates import day_start
from crm.models import BuyingRole, Contact, Customer


def _in_language(english: str, chinese: str) -> str:
    """The Chinese name for a Chinese reader (when there is one), the English one otherwise."""
    language = translation.get_language() or ""
    return chinese if language.startswith("zh") and chinese else english


class Requirement(models.TextChoices):
    """What a stage may require of a deal before it enters it; admins pick them per stage."""

    NEED_CONFIRMED = "need_confirmed", _("The need is confirmed")
    LINES = "lines", _("The equipment is listed")
    TECHNICAL = "technical_gatekeeper", _("A technical gatekeeper is named")
    DECISION_MAKER = "decision_maker", _("A decision maker is named")
    COACH = "coach", _("A coach is named")
    USER = "user", _("A user is named")
    QUOTE = "quote", _("A quote is given")
    DELIVERY_DATE = "delivery_date", _("The delivery date is set")


# The requirements a named person of a buying role satisfies.
ROLE_REQUIREMENTS = {
    Requirement.TECHNICAL: BuyingRole.TECHNICAL,
    Requirement.DECISION_MAKER: BuyingRole.DECISION_MAKER,
    Requirement.COACH: BuyingRole.COACH,
    Requirement.USER: BuyingRole.USER,
}


class StageQuerySet(models.QuerySet):
    def in_use(self) -> list["Stage"]:
        """The stages deals move through, in order (the data migration seeds DOMAIN §6's six; admins edit them)."""
        return list(self.filter(is_active=True))


class Stage(models.Model):
    """One stage of the big-deal sale, closed by its key milestone; admins edit names, order and requirements."""

    name_en = models.CharField(_("name (English)"), max_length=60)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60, blank=True)
    milestone_en = models.CharField(_("key milestone (English)"), max_length=120, blank=True)
    milestone_zh = models.CharField(_("key milestone (Chinese)"), max_length=120, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), unique=True)
    probability = models.PositiveSmallIntegerField(_("default probability (%)"), validators=[MaxValueValidator(100)])
    usual_days = models.PositiveSmallIntegerField(
        _("usual days in the stage"), default=30, help_text=_("A deal longer in the stage shows as stuck.")
    )
    requirements = models.JSONField(
        _("entry requirements"), default=list, blank=True, help_text=_("What a deal needs before it enters.")
    )
    is_active = models.BooleanField(_("in use"), default=True)

    objects = StageQuerySet.as_manager()

    class Meta:
        ordering = ["order"]
        verbose_name = _("deal stage")
        verbose_name_plural = _("deal stages")
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_percent"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_en, self.name_zh)

    @property
    def milestone(self) -> str:
        return _in_language(self.milestone_en, self.milestone_zh)

    def clean(self):
        unknown = set(self.requirements or []) - set(Requirement.values)
        if unknown:
            raise ValidationError({"requirements": _("Unknown requirement: %(codes)s") % {"codes": sorted(unknown)}})


class Outcome(models.TextChoices):
    WON = "won", pgettext_lazy("deal", "Won")
    LOST = "lost", pgettext_lazy("deal", "Lost")
    ABANDONED = "abandoned", pgettext_lazy("deal", "Abandoned")


class CloseReason(models.Model):
    """Why deals are won, lost or abandoned: a list admins keep, so the reasons can be counted."""

    outcome = models.CharField(_("for deals"), max_length=10, choices=Outcome.choices)
    name_en = models.CharField(_("reason (English)"), max_length=100)
    name_zh = models.CharField(_("reason (Chinese)"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["outcome", "order", "pk"]
        verbose_name = _("deal close reason")
        verbose_name_plural = _("deal close reasons")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_en, self.name_zh)


class Status(models.TextChoices):
    OPEN = "open", pgettext_lazy("deal", "Open")
    WON = "won", pgettext_lazy("deal", "Won")
    LOST = "lost", pgettext_lazy("deal", "Lost")
    ABANDONED = "abandoned", pgettext_lazy("deal", "Abandoned")


class OpportunityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Deals of the customers the user may see (visibility follows the customer)."""
        return self.filter(customer__in=Customer.objects.visible_to(user))

    def open(self):
        return self.filter(status=Status.OPEN)

    def stuck(self, days: int, now=None):
        """Open deals more than `days` whole local days in their stage (`Opportunity.days_in_stage`)."""
        return self.open().filter(stage_entered_at__lt=_start_of_day_back(now, days))

    def past_usual_time(self, now=None):
        """Open deals more days in their stage than the stage's usual days (`Opportunity.is_stuck`, as a filter):
        a deal that entered its stage on local day D with 30 usual days is stuck from D + 31, whatever the hour."""
        # Entered before today's midnight less the usual days: spelled as usual + 1 days before tomorrow's midnight
        # because SQLite multiplies a duration by a sum but not by a bare column; typed as a duration so SQLite
        # adds it to the time as a time, not as a number.
        usual_and_one = ExpressionWrapper(
            (F("stage__usual_days") + 1) * Value(datetime.timedelta(days=1)), output_field=models.DurationField()
        )
        return (
            self.open()
            .alias(past_usual=F("stage_entered_at") + usual_and_one)
            .filter(past_usual__lt=_start_of_day_back(now, -1))
        )


def _start_of_day_back(now, days: int) -> datetime.datetime:
    """Local midnight `days` days before the local day of `now`: what entered a stage before it has been there
    more than `days` days (the days a user sees count local dates, not 24-hour spans)."""
    return day_start(timezone.localdate(now or timezone.now()) - datetime.timedelta(days=days))


class Opportunity(models.Model):
    """A deal: equipment a customer may buy from us, moving through the stages to won, lost or abandoned."""

    # Indexed by `deal_customer` below (its first column), not by an index of its own.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="opportunities", db_index=False
    )
    title = models.CharField(pgettext_lazy("deal", "title"), max_length=200)
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+")
    stage_entered_at = models.DateTimeField(_("in the stage since"), default=timezone.now)
    # The latest stage its history reached (highest order), kept by a PostgreSQL trigger on the history for the
    # win rate's tallies (crm/deals/tallies.py); SQLite reads the history instead.
    furthest_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+", db_index=False
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), validators=[MaxValueValidator(100)], help_text=_("Empty: the stage's default.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    expected_close_on = models.DateField(_("expected close"))
    # The sum of the lines, kept by the services so the pipeline totals without reading every line.
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2, default=Decimal(0), editable=False)
    need_confirmed = models.BooleanField(_("need confirmed"), default=False)
    quote_amount = models.DecimalField(
        _("quote (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    quote_on = models.DateField(_("quoted on"), null=True, blank=True)
    delivery_on = models.DateField(_("delivery date"), null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)
    next_step_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("next step by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    close_reason = models.ForeignKey(
        CloseReason, verbose_name=_("reason"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    won_by = models.CharField(_("competitor who won"), max_length=100, blank=True)
    close_note = models.TextField(_("closing note"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["expected_close_on", "pk"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="deal_probability_percent"),
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True) | (~Q(status="open") & Q(closed_on__isnull=False)),
                name="deal_closed_has_a_day",
            ),
            models.CheckConstraint(
                condition=~Q(status="lost") | Q(close_reason__isnull=False), name="deal_lost_has_a_reason"
            ),
        ]
        indexes = [
            # The pipeline: open deals by stage, oldest in the stage first.
            models.Index(fields=["status", "stage", "stage_entered_at"], name="deal_pipeline"),
            # A customer's deals, with what their tallies read (crm/deals/tallies.py): when the lapse sweep hands
            # 110,000 customers to the pool, the tallies' trigger reads their 220,000 deals from this index alone
            # instead of from the table (24 s of the sweep's UPDATE at 1,000,000 customers). On PostgreSQL.
            models.Index(
                fields=["customer", "status"],
                include=[
                    "stage",
                    "stage_entered_at",
                    "amount",
                    "probability",
                    "expected_close_on",
                    "closed_on",
                    "furthest_stage",
                ],
                name="deal_customer_tallied",
            ),  # fmt: skip
            # The pipeline's cards: each stage's first open deals in close order, read from the index's start
            # (at 100,000 customers a stage's 23,000 open deals were sorted whole for 12 cards: 100 ms a stage).
            models.Index(
                fields=["stage", "expected_close_on", "id"], name="deal_open_cards", condition=Q(status="open")
            ),
            # The visible customers' open deals, with what the pipeline's totals and filters read, as an index-only
            # scan (a rep's totals filtered by amount or close month: 180 ms -> 27 ms at 200,000 deals). The
            # columns are included on PostgreSQL only.
            models.Index(
                fields=["customer"],
                include=["stage", "amount", "probability", "expected_close_on", "stage_entered_at", "id"],
                name="deal_open_customer",
                condition=Q(status="open"),
            ),
            # The longest in their stage first (the forecast's stuck deals): read from the index's start until a
            # team's ten are found, instead of sorting the team's every open deal.
            models.Index(fields=["stage_entered_at", "id"], name="deal_open_entered", condition=Q(status="open")),
        ]

    def __str__(self):
        return f"{self.customer} · {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))

    def days_in_stage(self, now=None) -> int:
        """Whole local days since the deal entered its stage: 0 on that day, 1 from the next midnight."""
        return (timezone.localdate(now or timezone.now()) - timezone.localdate(self.stage_entered_at)).days

    def is_stuck(self, now=None) -> bool:
        return self.is_open and self.days_in_stage(now) > self.stage.usual_days

    def missing_for(self, stages, participants, has_lines: bool) -> list[str]:
        """The requirements of `stages` this deal does not meet yet (codes, in the order Requirement lists them).

        `participants` are the deal's people (their roles count), `has_lines` whether equipment is listed."""
        roles = {participant.role for participant in participants}
        met = {
            Requirement.NEED_CONFIRMED: self.need_confirmed,
            Requirement.LINES: has_lines,
            Requirement.QUOTE: self.quote_amount is not None,
            Requirement.DELIVERY_DATE: self.delivery_on is not None,
            **{requirement: role in roles for requirement, role in ROLE_REQUIREMENTS.items()},
        }
        wanted = {code for stage in stages for code in stage.requirements}
        return [code for code in Requirement.values if code in wanted and not met[code]]


class OpportunityLine(models.Model):
    """A machine or product in the deal: quantity times unit price, in CNY."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.CharField(_("machine or product"), max_length=120)
    model = models.CharField(_("model"), max_length=80, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(
        _("unit price (CNY)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("equipment line")
        verbose_name_plural = _("equipment lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="deal_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="deal_line_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.product} {self.model} × {self.quantity}"

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


class Competitor(models.Model):
    """A competitor in play for the deal: who, their offer, where they are strong."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="competitors")
    name = models.CharField(_("competitor"), max_length=100)
    offer = models.DecimalField(
        _("their offer (CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    strengths = models.CharField(_("where they are strong"), max_length=255, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("competitor in play")
        verbose_name_plural = _("competitors in play")

    def __str__(self):
        return self.name


class Participant(models.Model):
    """One of the customer's contacts involved in the deal, with the buying role they play in it (DOMAIN §2)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="participants")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("buying role in this deal"), max_length=20, choices=BuyingRole.choices)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("person involved")
        verbose_name_plural = _("people involved")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "contact"],
                name="deal_participant_once",
                violation_error_message=_("This contact is already involved in the deal."),
            )
        ]

    def __str__(self):
        return f"{self.contact} · {self.get_role_display()}"


class PipelineTotalQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The totals of the deals `user` sees. A deal is seen with its customer, and who sees a customer
        depends only on its holder, so this is `Customer.objects.visible_to` spelled on the holder (a test holds
        the two equal)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        if user.is_rep:
            return self.filter(Q(owner=user) | Q(owner__isnull=True))
        return self.filter(Q(owner__in=User.objects.visible_to(user)) | Q(owner__isnull=True))


class PipelineTotal(models.Model):
    """The open deals of each holder's customers (none: the pool's) in each stage: how many, their amount and
    their weighted amount. Kept by PostgreSQL triggers in the statement that changes a deal or a customer's
    holder (migration 0003), so the pipeline's exact column totals read a few rows instead of every deal a manager
    sees (20,000 at 100,000 customers: 60 ms under load). Not kept on SQLite: the pipeline counts there."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal(0))
    weighted = models.DecimalField(max_digits=22, decimal_places=4, default=Decimal(0))

    objects = PipelineTotalQuerySet.as_manager()

    class Meta:
        verbose_name = _("pipeline total")
        verbose_name_plural = _("pipeline totals")
        constraints = [
            models.UniqueConstraint(fields=["owner", "stage"], name="pipeline_total_once", nulls_distinct=False)
        ]

    def __str__(self):
        return f"{self.owner_id or '—'} · {self.stage_id}: {self.count}"


class TallyKind(models.TextChoices):
    ENTERED = "entered", "open deals by stage and local day they entered it"
    EXPECTED = "expected", "open deals by month they are expected to close"
    CLOSED = "closed", "closed deals by month closed and furthest stage"


class DealTally(models.Model):
    """The deals of each holder's customers counted by day or month, kept by PostgreSQL triggers in the statement
    that changes a deal, its history or a customer's holder (crm/deals/tallies.py), so the board's forecast reads
    a few hundred rows per rep instead of their every deal (2.9 s for a team at 1,000,000 customers):

    - entered: open deals per stage and local day they entered it (`count`): the stuck deals are the open ones
      less those that entered within the usual days;
    - expected: open deals per month of expected close (`count`, `amount` their weighted sum);
    - closed: closed deals per month closed and furthest stage (`count`, `won` of them won, `amount` won).

    `day` is the local day (entered) or the month's first day. Not kept on SQLite: the forecast counts there."""

    # The unique key's index serves a rep's rows; a stage's are rarely looked up (a stage in use is never deleted).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=8, choices=TallyKind.choices)
    day = models.DateField()
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, null=True, related_name="+", db_index=False)
    count = models.IntegerField(default=0)
    won = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=22, decimal_places=4, default=Decimal(0))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "day", "stage"], name="deal_tally_once", nulls_distinct=False
            )
        ]

    def __str__(self):
        return f"{self.owner_id or '—'} · {self.kind} {self.day} {self.stage_id or ''}: {self.count}"


class StageChangeQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("Deal history cannot be changed."))

    def delete(self):
        raise ValidationError(_("Deal history cannot be deleted."))


class StageChange(models.Model):
    """Append-only: every stage a deal entered and how it closed, who moved it, how long it stayed before, and
    (when a manager moved it past missing requirements) what was missing and why."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT, related_name="stage_changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT)
    at = models.DateTimeField(_("when"), default=timezone.now)
    from_stage = models.ForeignKey(
        Stage, verbose_name=pgettext_lazy("stage", "from"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=pgettext_lazy("stage", "to"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    days_in_previous = models.PositiveIntegerField(_("days in the previous stage"), null=True, blank=True)
    passed_over = models.JSONField(_("requirements passed over"), default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = StageChangeQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("deal stage change")
        verbose_name_plural = _("deal history")
        indexes = [models.Index(fields=["opportunity", "at"], name="deal_history")]

    def __str__(self):
        return f"{self.opportunity_id}: {self.from_stage_id or '—'} → {self.to_stage_id} ({self.status})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Deal history cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Deal history cannot be deleted."))

    @property
    def passed_over_labels(self) -> list[str]:
        return [Requirement(code).label for code in self.passed_over if code in Requirement.values]


class Purchase(models.Model):
    """What a customer bought from us: a won deal's amount on its day. The last 12 months are its annual
    purchases (DOMAIN §1), so the suggested grade follows real orders."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="purchases"
    )
    opportunity = models.OneToOneField(
        Opportunity, verbose_name=_("deal"), on_delete=models.PROTECT, null=True, blank=True, related_name="purchase"
    )
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    bought_on = models.DateField(_("bought on"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-bought_on", "-pk"]
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        indexes = [models.Index(fields=["customer", "bought_on"], name="purchase_customer_day")]

    def __str__(self):
        return f"{self.customer} · {self.amount} · {self.bought_on}"


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


def month_start(day: datetime.date, months_later: int = 0) -> datetime.date:
    """The first day of the month `months_later` months after `day`'s (earlier when negative)."""
    month = day.month - 1 + months_later
    return datetime.date(day.year + month // 12, month % 12 + 1, 1)


@dataclasses.dataclass(frozen=True)
class Period:
    """A calendar month or quarter of local dates (Asia/Shanghai), both ends included."""

    kind: str
    starts_on: datetime.date

    @classmethod
    def containing(cls, kind: str, day: datetime.date) -> "Period":
        first_month = day.month if kind == PeriodKind.MONTH else 3 * ((day.month - 1) // 3) + 1
        return cls(kind, datetime.date(day.year, first_month, 1))

    @property
    def months(self) -> int:
        return 1 if self.kind == PeriodKind.MONTH else 3

    @property
    def next_starts_on(self) -> datetime.date:
        return month_start(self.starts_on, self.months)

    @property
    def ends_on(self) -> datetime.date:
        return self.next_starts_on - datetime.timedelta(days=1)

    def following(self) -> "Period":
        return Period(self.kind, self.next_starts_on)

    @property
    def days(self) -> tuple[datetime.date, datetime.date]:
        """The first and last day, for a `__range` lookup."""
        return (self.starts_on, self.ends_on)

    @property
    def key(self) -> str:
        return f"{self.kind}_{self.starts_on:%Y%m%d}"

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return _("%(year)s-%(month)02d") % {"year": self.starts_on.year, "month": self.starts_on.month}
        return _("Q%(quarter)s %(year)s") % {"quarter": (self.starts_on.month + 2) // 3, "year": self.starts_on.year}

    def is_valid_start(self) -> bool:
        return Period.containing(self.kind, self.starts_on) == self


class SalesTarget(models.Model):
    """What a rep should win in a month or a quarter (CNY), set by their manager or an admin; who set it, when,
    and the amount it replaced are kept on the row."""

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.PROTECT, related_name="sales_targets"
    )
    kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    starts_on = models.DateField(_("period starts on"))
    amount = models.DecimalField(_("target (CNY)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    previous_amount = models.DecimalField(
        _("previous target (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), on_delete=models.PROTECT, related_name="+"
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        ordering = ["rep", "kind", "starts_on"]
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        constraints = [
            models.UniqueConstraint(
                fields=["rep", "kind", "starts_on"],
                name="one_sales_target_per_rep_and_period",
                violation_error_message=_("This rep already has a target for this period."),
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="sales_target_not_negative"),
            models.CheckConstraint(
                condition=Q(starts_on__day=1)
                & (Q(kind="month") | Q(kind="quarter", starts_on__month__in=[1, 4, 7, 10])),
                name="sales_target_starts_a_period",
            ),
        ]

    def __str__(self):
        return f"{self.rep} · {self.period.label} · {self.amount}"

    @property
    def period(self) -> Period:
        return Period(self.kind, self.starts_on)
