"""The digest's pipeline page: the open deals of the board's customers by stage, what closed in the last seven
days, and the deals stuck in a stage longer than its usual time. A fixed number of queries, whatever the size."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from crm.deals.models import Opportunity, Stage, Status

from .services import Scope

PIPELINE_LIST = 10  # most deals listed per list (won, lost, stuck)
CLOSED_DAYS = 7

WEIGHTED = ExpressionWrapper(
    F("amount") * F("probability") / 100, output_field=DecimalField(max_digits=18, decimal_places=2)
)


@dataclass
class StageRow:
    stage: Stage | None  # None: the total
    count: int = 0
    total: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)


@dataclass
class DealList:
    deals: list = field(default_factory=list)
    count: int = 0
    total: Decimal = Decimal(0)

    @property
    def hidden(self) -> int:
        return self.count - len(self.deals)


def _listed(deals, *ordering) -> DealList:
    summary = deals.order_by().aggregate(count=Count("pk"), total=Sum("amount"))
    shown = list(deals.select_related("customer__owner", "stage", "close_reason").order_by(*ordering)[:PIPELINE_LIST])
    return DealList(deals=shown, count=summary["count"], total=summary["total"] or Decimal(0))


def pipeline_summary(scope: Scope, today: datetime.date, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    deals = Opportunity.objects.filter(customer__in=scope.customers())
    open_deals = deals.filter(status=Status.OPEN)
    rows = {stage.pk: StageRow(stage) for stage in Stage.objects.in_use()}
    for group in open_deals.order_by().values("stage").annotate(n=Count("pk"), total=Sum("amount"),
                                                                  weighted=Sum(WEIGHTED)):  # fmt: skip
        row = rows.setdefault(group["stage"], StageRow(None))  # a deal left in a stage no longer in use
        row.count, row.total, row.weighted = group["n"], group["total"], group["weighted"]
    stages = [row for row in rows.values() if row.stage is not None or row.count]
    total = StageRow(None, sum(r.count for r in stages), sum((r.total for r in stages), Decimal(0)),
                     sum((r.weighted for r in stages), Decimal(0)))  # fmt: skip
    since = today - datetime.timedelta(days=CLOSED_DAYS - 1)
    stuck = _listed(open_deals.past_usual_time(now), "stage_entered_at")
    for deal in stuck.deals:
        deal.days = deal.days_in_stage(now)
    return {
        "stages": stages,
        "total": total,
        "since": since,
        "won": _listed(deals.filter(status=Status.WON, closed_on__gte=since, closed_on__lte=today), "-amount"),
        "lost": _listed(deals.filter(status=Status.LOST, closed_on__gte=since, closed_on__lte=today), "-amount"),
        "stuck": stuck,
    }
