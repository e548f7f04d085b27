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

from django.db import connection
from django.db.models import (
    Count,
    DateField,
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
from crm.deals.models import (
    DealTally,
    Opportunity,
    Period,
    PeriodKind,
    PipelineTotal,
    SalesTarget,
    Stage,
    StageChange,
    Status,
    TallyKind,
    month_start,
)

from .services import Scope

STUCK_LIST = 10  # the longest-stuck deals listed on the page; the pipeline's filter shows the rest
WIN_RATE_MONTHS = 12
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


def _scope_owners(scope: Scope, field: str = "owner") -> Q:
    return Q(**{f"{field}__isnull": False}) if scope.is_company else Q(**{f"{field}__in": scope.people})


def _counted_this_quarter(quarter: Period) -> Q:
    return Q(status=Status.OPEN, expected_close_on__range=quarter.days) | Q(
        status=Status.WON, closed_on__range=quarter.days
    )


def _with_active_claim() -> QuerySet:
    return Opportunity.objects.annotate(
        claim=FilteredRelation("customer__claims", condition=Q(customer__claims__ended_at__isnull=True))
    )


def _credit_legs(scope: Scope, month: Period, quarter: Period) -> list[QuerySet]:
    """Two grouped queries, one row per person: the holders' shares of their customers' deals, and the shares
    of the reps a split gave the rest to. Only the deals that can count this quarter are read."""
    deals = _with_active_claim().filter(_counted_this_quarter(quarter))
    holders = deals.filter(_scope_owners(scope, "customer__owner"))
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


def _split_shares(scope: Scope, month: Period, quarter: Period) -> QuerySet:
    """What splits move from holders to the other reps this quarter, one row per (holder, other rep, share)
    (× 10,000 and × 100 as `_sums`): the kept tallies credit the holder with every deal, and splits are few."""
    deals = _with_active_claim().filter(_counted_this_quarter(quarter), claim__shared_with__isnull=False)
    if not scope.is_company:
        deals = deals.filter(Q(customer__owner__in=scope.people) | Q(claim__shared_with__in=scope.people))
    return (
        deals.order_by()
        .values(holder=F("customer__owner"), other=F("claim__shared_with"))
        .annotate(**_sums(Value(100) - F("claim__holder_share"), month, quarter))
    )


@dataclass
class DealFigures:
    """What the forecast reads of the scope's deals, from the kept tallies (PostgreSQL) or counted (SQLite):
    per person and period the weighted forecast and won amounts, per person the stuck deals, and the closed
    deals of the win rate's months grouped by their furthest stage's order: (order, deals, won)."""

    credit: dict = field(default_factory=dict)  # person -> kind -> [weighted, won]
    stuck: dict = field(default_factory=dict)  # person -> count
    closed_by_furthest: list = field(default_factory=list)

    def add_credit(self, person, kind, weighted=Decimal(0), won=Decimal(0)):
        figures = self.credit.setdefault(person, {}).setdefault(kind, [Decimal(0), Decimal(0)])
        figures[0] += weighted
        figures[1] += won

    def add_groups(self, groups, sign=1):
        """Per-person rows of `_sums` (× 10,000 and × 100), added (or, sign -1, taken away) from `person`."""
        for group, person in groups:
            for kind in PERIOD_KINDS:
                self.add_credit(
                    person,
                    kind,
                    sign * (group[f"weighted_{kind}"] or 0) / Decimal(10000),
                    sign * (group[f"won_{kind}"] or 0) / Decimal(100),
                )


def _counted_figures(scope: Scope, month: Period, quarter: Period, since: datetime.date, now) -> DealFigures:
    """Four grouped queries over the scope's deals: the two credit legs, the stuck deals, the win rate."""
    figures = DealFigures()
    for leg in _credit_legs(scope, month, quarter):
        figures.add_groups((group, group["person"]) for group in leg)
    stuck = _scope_deals(scope).past_usual_time(now)
    for group in stuck.order_by().values("customer__owner").annotate(n=Count("pk")):
        figures.stuck[group["customer__owner"]] = group["n"]
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
        .filter(closed_on__range=(since, month.ends_on))
        .annotate(furthest=Subquery(furthest))
    )
    # Grouped by how far a deal got, the subquery runs once per deal; a filtered count per stage repeated it for
    # each of the 12 counts (235 ms at 100,000 customers).
    figures.closed_by_furthest = list(
        closed.order_by()
        .values("furthest")
        .annotate(deals=Count("pk"), won=Count("pk", filter=Q(status=Status.WON)))
        .values_list("furthest", "deals", "won")
    )
    return figures


def _kept_figures(
    scope: Scope, month: Period, quarter: Period, since: datetime.date, today: datetime.date, stages: list[Stage]
) -> DealFigures:
    """Three small queries whatever the number of deals: the scope's tallies of this quarter and the win rate's
    months, each rep's open deals less those that entered their stage within its usual days, and what splits
    move."""
    figures = DealFigures()
    order = {stage.pk: stage.order for stage in stages}
    # One branch per kind, so each reads its days' range of the (owner, kind, day) key, not the owner's every row.
    columns = ("owner", "kind", "day", "stage", "count", "won", "amount")
    mine = DealTally.objects.filter(_scope_owners(scope)).order_by()
    tallies = (
        mine.filter(kind=TallyKind.EXPECTED, day__range=(quarter.starts_on, quarter.ends_on))
        .values_list(*columns)
        .union(mine.filter(kind=TallyKind.CLOSED, day__range=(since, quarter.ends_on)).values_list(*columns), all=True)
    )
    closed = {}
    for person, kind, day, stage, count, won, amount in tallies:
        for period_kind, period in ((PeriodKind.MONTH, month), (PeriodKind.QUARTER, quarter)):
            if period.starts_on <= day <= period.ends_on:
                if kind == TallyKind.EXPECTED:
                    figures.add_credit(person, period_kind, weighted=amount)
                else:
                    figures.add_credit(person, period_kind, won=amount)
        if kind == TallyKind.CLOSED and day <= month.starts_on and stage is not None:
            deals, wins = closed.get(order[stage], (0, 0))
            closed[order[stage]] = (deals + count, wins + won)
    figures.closed_by_furthest = [(furthest, deals, won) for furthest, (deals, won) in closed.items()]

    # Stuck: the open deals (the pipeline's kept totals) less those entered on a day within the stage's usual days
    # (a deal is stuck once today is more than `usual` days after the day it entered), summed in SQL per rep.
    entered_since = today - datetime.timedelta(days=max((stage.usual_days for stage in stages), default=0))
    still_usual = ExpressionWrapper(F("day") + F("stage__usual_days"), output_field=DateField())
    recent = mine.filter(kind=TallyKind.ENTERED, day__gte=entered_since).alias(usual_until=still_usual)
    parts = (
        PipelineTotal.objects.filter(_scope_owners(scope))
        .order_by()
        .values("owner")
        .annotate(n=Sum("count"))
        .values_list("owner", "n")
        .union(
            recent.filter(usual_until__gte=today).values("owner").annotate(n=-Sum("count")).values_list("owner", "n"),
            all=True,
        )
    )
    for person, count in parts:
        figures.stuck[person] = figures.stuck.get(person, 0) + count

    splits = list(_split_shares(scope, month, quarter))
    figures.add_groups(((group, group["holder"]) for group in splits), sign=-1)
    figures.add_groups((group, group["other"]) for group in splits)
    return figures


def _win_rates(stages: list[Stage], closed_by_furthest: list) -> list[StageRate]:
    """Of the closed deals, per stage in use, those whose history reached it or a later one, and of them won."""
    groups = [(furthest, deals, won) for furthest, deals, won in closed_by_furthest if furthest is not None]
    return [
        StageRate(
            stage,
            sum(deals for furthest, deals, _won in groups if furthest >= stage.order),
            sum(won for furthest, _deals, won in groups if furthest >= stage.order),
        )
        for stage in stages
        if stage.is_active
    ]


def win_rate_since(today: datetime.date) -> datetime.date:
    """The first day of the win rate's twelve months: this month and the eleven before."""
    return month_start(today, -(WIN_RATE_MONTHS - 1))


def _by_team(rows: list[ForecastRow]) -> list[ForecastRow]:
    teams = {}
    for row in rows:
        team = row.person.team
        key = (team is None, team.name if team else "")
        teams.setdefault(key, ForecastRow(label=team.name if team else _("No team"), team=team)).add(row)
    return [teams[key] for key in sorted(teams)]


def board_forecast(scope: Scope, today: datetime.date | None = None, now: datetime.datetime | None = None) -> Forecast:
    """Everything the forecast section shows, in seven queries whatever the number of deals and people (eight
    on SQLite, where the deals are counted)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    month = Period.containing(PeriodKind.MONTH, today)
    quarter = Period.containing(PeriodKind.QUARTER, today)
    since = win_rate_since(today)
    people = scope.people.select_related("team").order_by("last_name", "first_name", "username")
    rows = {person.pk: ForecastRow(label=str(person), person=person) for person in people}
    stages = list(Stage.objects.order_by("order", "pk"))

    if connection.vendor == "postgresql":
        figures = _kept_figures(scope, month, quarter, since, today, stages)
    else:
        figures = _counted_figures(scope, month, quarter, since, now)
    for person, periods in figures.credit.items():
        if person in rows:
            for kind, (weighted, won) in periods.items():
                rows[person].periods[kind].weighted += weighted
                rows[person].periods[kind].won += won
    for person, count in figures.stuck.items():
        if person in rows:
            rows[person].stuck = count

    targets = SalesTarget.objects.filter(
        Q(kind=PeriodKind.MONTH, starts_on=month.starts_on) | Q(kind=PeriodKind.QUARTER, starts_on=quarter.starts_on)
    )
    if not scope.is_company:
        targets = targets.filter(rep__in=scope.people)
    for target in targets.values("rep", "kind", "amount"):
        if target["rep"] in rows:
            rows[target["rep"]].periods[target["kind"]].target = target["amount"]

    stuck = _scope_deals(scope).past_usual_time(now)
    listed = list(stuck.select_related("customer__owner", "stage").order_by("stage_entered_at", "pk")[:STUCK_LIST])

    for row in rows.values():
        for period in row.periods.values():
            period.weighted, period.won = period.weighted.quantize(CENT), period.won.quantize(CENT)
    shown = [
        row
        for row in rows.values()
        if (row.person.is_active and not row.person.has_departed)
        or row.stuck
        or any(period.weighted or period.won for period in row.periods.values())
    ]
    total = ForecastRow(label=_("Total"))
    for row in shown:
        total.add(row)
    return Forecast(
        today=today,
        month=month,
        quarter=quarter,
        rows=_by_team(shown) if scope.is_company else shown,
        total=total,
        stuck_deals=listed,
        stuck_total=total.stuck,
        win_rates=_win_rates(stages, figures.closed_by_furthest),
        win_rate_since=since,
    )
