"""The board's pipeline figures: each rep's weighted forecast and wins against their targets, the deals stuck in
a stage, and the win rate by stage; in a fixed number of grouped queries whatever the number of deals.

Credit follows the customer's active claim: when a dispute split it (the holder 70 %, the other rep 30 %), each of
the customer's deals counts 70 % of its amount to the holder and 30 % to the other rep in every per-rep figure.
The weighted forecast of a period is the open deals expected to close in it, each amount times its probability;
won in a period is the deals won with their close day in it. Periods are calendar months and quarters of local
dates (Asia/Shanghai).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from crm.deals.models import Opportunity, Period, PeriodKind, SalesTarget, Stage, StageChange, Status

from .services import Scope

STUCK_LIST = 10  # the longest-stuck deals listed on the page; the pipeline's filter shows the rest
WIN_RATE_DAYS = 365
CENT = Decimal("0.01")
PERIOD_KINDS = (PeriodKind.MONTH, PeriodKind.QUARTER)


@dataclass
class PeriodFigures:
    """One rep's month or quarter: the weighted open deals closing in it, what was won in it, and the target."""

    weighted: Decimal = Decimal(0)
    won: Decimal = Decimal(0)
    target: Decimal | None = None

    @property
    def percent(self) -> int | None:
        """Won as a share of the target (None without a target)."""
        return round(100 * self.won / self.target) if self.target else None

    @property
    def expected_percent(self) -> int | None:
        """Won plus the weighted forecast, as a share of the target."""
        return round(100 * (self.won + self.weighted) / self.target) if self.target else None

    def add(self, other: "PeriodFigures") -> None:
        self.weighted += other.weighted
        self.won += other.won
        if other.target is not None:
            self.target = (self.target or Decimal(0)) + other.target


@dataclass
class ForecastRow:
    """A rep (company-wide: a team, the sum of its reps)."""

    label: str
    person: User | None = None
    team: Team | None = None  # company-wide rows
    periods: dict = field(default_factory=lambda: {kind: PeriodFigures() for kind in PERIOD_KINDS})
    stuck: int = 0

    @property
    def month(self) -> PeriodFigures:
        return self.periods[PeriodKind.MONTH]

    @property
    def quarter(self) -> PeriodFigures:
        return self.periods[PeriodKind.QUARTER]

    def add(self, other: "ForecastRow") -> None:
        for kind in PERIOD_KINDS:
            self.periods[kind].add(other.periods[kind])
        self.stuck += other.stuck


@dataclass
class StageRate:
    stage: Stage
    reached: int
    won: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.won / self.reached) if self.reached else None


@dataclass
class Forecast:
    today: datetime.date
    month: Period
    quarter: Period
    rows: list[ForecastRow]
    total: ForecastRow
    stuck_deals: list[Opportunity]
    stuck_total: int
    win_rates: list[StageRate]
    win_rate_since: datetime.date


def _scope_deals(scope: Scope) -> QuerySet:
    """The deals of the customers the scope's people hold."""
    if scope.is_company:
        return Opportunity.objects.filter(customer__owner__isnull=False)
    return Opportunity.objects.filter(customer__owner__in=scope.people)


def _credit_legs(scope: Scope, month: Period, quarter: Period) -> list[QuerySet]:
    """Two grouped queries, one row per person: the holders' shares of their customers' deals, and the shares
    of the reps a split gave the rest to. Only the deals that can count this quarter are read."""
    counted = Q(status=Status.OPEN, expected_close_on__range=quarter.days) | Q(
        status=Status.WON, closed_on__range=quarter.days
    )
    deals = Opportunity.objects.annotate(
        claim=FilteredRelation("customer__claims", condition=Q(customer__claims__ended_at__isnull=True))
    ).filter(counted)
    holders = (
        deals.filter(customer__owner__isnull=False)
        if scope.is_company
        else deals.filter(customer__owner__in=scope.people)
    )
    others = deals.filter(claim__shared_with__isnull=False)
    if not scope.is_company:
        others = others.filter(claim__shared_with__in=scope.people)
    legs = [
        (holders, F("customer__owner"), Coalesce(F("claim__holder_share"), Value(100))),
        (others, F("claim__shared_with"), Value(100) - F("claim__holder_share")),
    ]
    return [
        leg.order_by().values(person=person).annotate(**_sums(share, month, quarter)) for leg, person, share in legs
    ]


def _sums(share, month: Period, quarter: Period) -> dict:
    """Per period: the weighted open amount (× 10,000: percent × percent) and the won amount (× 100)."""
    money = DecimalField(max_digits=24, decimal_places=2)
    weighted = ExpressionWrapper(F("amount") * F("probability") * share, output_field=money)
    won = ExpressionWrapper(F("amount") * share, output_field=money)
    sums = {}
    for kind, period in ((PeriodKind.MONTH, month), (PeriodKind.QUARTER, quarter)):
        sums[f"weighted_{kind}"] = Sum(weighted, filter=Q(status=Status.OPEN, expected_close_on__range=period.days))
        sums[f"won_{kind}"] = Sum(won, filter=Q(status=Status.WON, closed_on__range=period.days))
    return sums


def win_rates(scope: Scope, today: datetime.date) -> tuple[list[StageRate], datetime.date]:
    """Of the deals closed in the last 12 months that got at least as far as each stage (their history reached
    it or a later one), the share that were won; one query besides the stages."""
    since = today - datetime.timedelta(days=WIN_RATE_DAYS - 1)
    stages = Stage.objects.in_use()
    furthest = (
        StageChange.objects.filter(opportunity=OuterRef("pk"))
        .order_by()
        .values("opportunity")
        .annotate(order=Max("to_stage__order"))
        .values("order")
    )
    closed = (
        _scope_deals(scope)
        .exclude(status=Status.OPEN)
        .filter(closed_on__range=(since, today))
        .annotate(furthest=Subquery(furthest))
    )
    # Grouped by how far a deal got, the subquery runs once per deal; a filtered count per stage repeated it for
    # each of the 12 counts (235 ms at 100,000 customers). A handful of groups are summed up per stage here.
    groups = (
        closed.order_by()
        .values("furthest")
        .annotate(deals=Count("pk"), won=Count("pk", filter=Q(status=Status.WON)))
        .values_list("furthest", "deals", "won")
    )
    groups = [(furthest, deals, won) for furthest, deals, won in groups if furthest is not None]
    rates = [
        StageRate(
            stage,
            sum(deals for furthest, deals, _won in groups if furthest >= stage.order),
            sum(won for furthest, _deals, won in groups if furthest >= stage.order),
        )
        for stage in stages
    ]
    return rates, since


def _by_team(rows: list[ForecastRow]) -> list[ForecastRow]:
    teams = {}
    for row in rows:
        team = row.person.team
        key = (team is None, team.name if team else "")
        teams.setdefault(key, ForecastRow(label=team.name if team else _("No team"), team=team)).add(row)
    return [teams[key] for key in sorted(teams)]


def board_forecast(scope: Scope, today: datetime.date | None = None, now: datetime.datetime | None = None) -> Forecast:
    """Everything the forecast section shows, in eight queries whatever the number of deals and people."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    month = Period.containing(PeriodKind.MONTH, today)
    quarter = Period.containing(PeriodKind.QUARTER, today)
    people = scope.people.select_related("team").order_by("last_name", "first_name", "username")
    rows = {person.pk: ForecastRow(label=str(person), person=person) for person in people}

    for leg in _credit_legs(scope, month, quarter):
        for group in leg:
            row = rows.get(group["person"])
            if row is None:
                continue
            for kind in PERIOD_KINDS:
                row.periods[kind].weighted += (group[f"weighted_{kind}"] or 0) / Decimal(10000)
                row.periods[kind].won += (group[f"won_{kind}"] or 0) / Decimal(100)

    targets = SalesTarget.objects.filter(
        Q(kind=PeriodKind.MONTH, starts_on=month.starts_on) | Q(kind=PeriodKind.QUARTER, starts_on=quarter.starts_on)
    )
    if not scope.is_company:
        targets = targets.filter(rep__in=scope.people)
    for target in targets.values("rep", "kind", "amount"):
        if target["rep"] in rows:
            rows[target["rep"]].periods[target["kind"]].target = target["amount"]

    stuck = _scope_deals(scope).past_usual_time(now)
    for group in stuck.order_by().values("customer__owner").annotate(n=Count("pk")):
        if group["customer__owner"] in rows:
            rows[group["customer__owner"]].stuck = group["n"]
    listed = list(stuck.select_related("customer__owner", "stage").order_by("stage_entered_at", "pk")[:STUCK_LIST])

    for row in rows.values():
        for figures in row.periods.values():
            figures.weighted, figures.won = figures.weighted.quantize(CENT), figures.won.quantize(CENT)
    shown = [
        row
        for row in rows.values()
        if (row.person.is_active and not row.person.has_departed)
        or row.stuck
        or any(figures.weighted or figures.won for figures in row.periods.values())
    ]
    total = ForecastRow(label=_("Total"))
    for row in shown:
        total.add(row)
    rates, since = win_rates(scope, today)
    return Forecast(
        today=today,
        month=month,
        quarter=quarter,
        rows=_by_team(shown) if scope.is_company else shown,
        total=total,
        stuck_deals=listed,
        stuck_total=total.stuck,
        win_rates=rates,
        win_rate_since=since,
    )
