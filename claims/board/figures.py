"""The board's per-rep figures, kept in a summary between views so a view reads one row per rep and grade.

A view recounts only the owners in its scope that a change has marked stale since the last recount (the
triggers in triggers.py), or whose figures are of an earlier day; a beat job drains the marks every minute
and recounts everyone after midnight, so a view seldom recounts anything. The recount is the board's own
count (counting.recount_totals) restricted to those owners; tests check the summary equals a
fresh recount after random changes.
"""

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from crm.models import Customer, GradeRule
from visits.models import Visit

from . import counting
from .models import FollowUpFigures, StaleOwner

# pg_advisory_xact_lock's first key: recounts of one owner take turns, so a slower recount that read older
# rows cannot write over a newer one. A recount of everyone holds (LOCK_CLASS, 0) alone; a recount of some owners
# holds it shared, then each owner's (LOCK_CLASS, id), in id order.
LOCK_CLASS = 4217


@dataclass(frozen=True)
class Owners:
    """The customers of some owners (None: every owned customer), as the board's count reads a scope."""

    ids: frozenset | None

    def customers(self) -> QuerySet:
        owned = Customer.objects.filter(owner__isnull=False)
        return owned if self.ids is None else owned.filter(owner__in=self.ids)

    def visits_on_customers(self) -> QuerySet:
        return Visit.objects.filter(customer__in=self.customers())


def period_key(period: counting.Period) -> str:
    return f"{period.days}:{period.ends_on.isoformat()}"


def distinct_periods(today: datetime.date) -> list[counting.Period]:
    return list(dict.fromkeys(counting.compliance_periods(today).values()))


def refresh(*, owners=None, today: datetime.date | None = None, policy=None) -> int:
    """Recount the figures of `owners` (ids; None: everyone) for `today` and clear their stale marks; returns
    how many owner and grade rows were written."""
    today = today or timezone.localdate()
    periods = distinct_periods(today)
    ids = None if owners is None else frozenset(owners)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if ids is None:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [LOCK_CLASS])
                else:
                    cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, 0)", [LOCK_CLASS])
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s, id) FROM unnest(%s::integer[]) id ORDER BY id",
                        [LOCK_CLASS, sorted(ids)],
                    )
        marks = StaleOwner.objects.all() if ids is None else StaleOwner.objects.filter(owner_id__in=ids)
        marks.delete()
        totals = counting.recount_totals(Owners(ids), today, periods, policy or GradeRule.policy())
        kept = FollowUpFigures.objects.all() if ids is None else FollowUpFigures.objects.filter(owner__in=ids)
        kept.delete()
        bands = range(len(counting.OVERDUE_BANDS))
        FollowUpFigures.objects.bulk_create(
            FollowUpFigures(
                owner_id=group["owner"],
                grade=group["grade"],
                computed_on=today,
                held=group["held"],
                overdue=int(group["overdue"]),
                bands=[int(group[f"band_{n}"]) for n in bands],
                periods={
                    period_key(period): [int(group[f"of_{n}"]), int(group[f"done_{n}"])]
                    for n, period in enumerate(periods)
                },
            )
            for group in totals
        )
    return len(totals)


def _owner_filter(scope) -> Q:
    return Q() if scope.is_company else Q(owner__in=scope.people)


def totals(scope, today: datetime.date, periods: list[counting.Period], policy) -> list[dict]:
    """The scope's figures per owner and grade, shaped as counting.recount_totals' rows; the owners
    marked stale or counted on an earlier day are recounted first."""
    stale = StaleOwner.objects.all()
    outdated = FollowUpFigures.objects.exclude(computed_on=today)
    if not scope.is_company:
        people = scope.people.values("pk")
        stale, outdated = stale.filter(owner_id__in=people), outdated.filter(owner_id__in=people)
    recount = set(
        stale.values_list("owner_id", flat=True).union(outdated.values_list("owner_id", flat=True), all=False)
    )
    if recount:
        refresh(owners=recount, today=today, policy=policy)
    keys = [period_key(period) for period in periods]
    rows = []
    for figures in FollowUpFigures.objects.filter(_owner_filter(scope)).order_by():
        row = {"owner": figures.owner_id, "grade": figures.grade, "held": figures.held, "overdue": figures.overdue}
        row |= {f"band_{n}": count for n, count in enumerate(figures.bands)}
        for n, key in enumerate(keys):
            row[f"of_{n}"], row[f"done_{n}"] = figures.periods.get(key, (0, 0))
        rows.append(row)
    return rows


def refresh_due(today: datetime.date | None = None) -> int:
    """The beat job: everyone once the day has turned, else the owners marked stale since the last run; a run
    with nothing to do writes nothing. Returns the rows written."""
    today = today or timezone.localdate()
    if FollowUpFigures.objects.exclude(computed_on=today).exists():
        return refresh(today=today)
    stale = set(StaleOwner.objects.values_list("owner_id", flat=True))
    return refresh(owners=stale, today=today) if stale else 0
