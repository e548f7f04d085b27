"""How the board counts a rep's follow-ups: the periods, the overdue bands, and the grouped count per owner and
grade that the strip, the charts, the digest and the kept summary (figures.py) all read.

Follow-up compliance is defined once, in services' docstring; the count here is its SQL.
"""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from crm.dates import day_start
from crm.models import Status
from visits.models import Snooze

COMPLIANCE_PERIODS = (30, 90)
CHART_WEEKS = 8
# Overdue bands for the chart, in days past due: (first, last); None: no upper end.
OVERDUE_BANDS = ((1, 7), (8, 30), (31, None))


def next_midnight(day: datetime.date) -> datetime.datetime:
    """Midnight at the end of `day`: periods include their last day."""
    return day_start(day + datetime.timedelta(days=1))


def week_monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Period:
    """`days` days ending with `ends_on` (included)."""

    days: int
    ends_on: datetime.date

    @property
    def starts_on(self) -> datetime.date:
        return self.ends_on - datetime.timedelta(days=self.days - 1)


def contacts_expected(days: int, cadence_days: int) -> int:
    """Contacts a customer owes in `days` days: one per full cadence, at least one."""
    return max(1, days // cadence_days)


def expected_by_grade(policy, days: int) -> dict:
    return {grade: contacts_expected(days, rule.cadence_days) for grade, rule in policy.items()}


def _measured(period: Period) -> Q:
    """Customers the period measures: registered before it, not lost, not paused during it."""
    paused = Snooze.objects.filter(created_at__lt=next_midnight(period.ends_on), until__gt=period.starts_on)
    paused = paused.values("customer")
    return Q(created_at__lt=day_start(period.starts_on)) & ~Q(status=Status.LOST) & ~Q(pk__in=paused)


def chart_weeks(today: datetime.date, weeks=CHART_WEEKS) -> list[datetime.date]:
    """Mondays of the last `weeks` ISO weeks, oldest first, this week last."""
    monday = week_monday(today)
    return [monday - datetime.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def week_key(monday: datetime.date) -> str:
    return f"week_{monday:%Y%m%d}"


def compliance_periods(today: datetime.date) -> dict[str, Period]:
    """The strip's periods ending today, and one 30-day period ending each chart week (this week: today)."""
    periods = {f"last_{days}": Period(days, today) for days in COMPLIANCE_PERIODS}
    for monday in chart_weeks(today):
        periods[week_key(monday)] = Period(30, min(monday + datetime.timedelta(days=6), today))
    return periods


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _customer_flags(scope, today: datetime.date, periods: list[Period], policy) -> QuerySet:
    """One row per customer: owner, grade, 0/1 flags (overdue, its band, measured in each period), contacts owed."""
    flags = {"overdue": Q(next_follow_up_on__lt=today)}
    for n, (first, last) in enumerate(OVERDUE_BANDS):
        flags[f"band_{n}"] = Q(next_follow_up_on__lte=today - datetime.timedelta(days=first))
        if last is not None:
            flags[f"band_{n}"] &= Q(next_follow_up_on__gte=today - datetime.timedelta(days=last))
    for n, period in enumerate(periods):
        flags[f"of_{n}"] = _measured(period)
    owed = {
        f"owed_{n}": Case(
            *[When(grade=grade, then=Value(k)) for grade, k in expected_by_grade(policy, period.days).items()],
            output_field=IntegerField(),
        )
        for n, period in enumerate(periods)
    }
    annotations = {name: _flag(condition) for name, condition in flags.items()} | owed
    return scope.customers().order_by().annotate(**annotations).values("pk", "owner", "grade", *annotations)


def _contacts(scope, periods: list[Period]) -> QuerySet:
    """Logged contacts per customer in each period, in one pass over the visits of the span the periods cover."""
    visits = scope.visits_on_customers().filter(
        started_at__gte=day_start(min(period.starts_on for period in periods)),
        started_at__lt=next_midnight(max(period.ends_on for period in periods)),
    )
    # Counting started_at (never empty) instead of the id: PostgreSQL reads the (customer, started_at) index
    # alone, without fetching each visit's row.
    counts = {
        f"contacts_{n}": Count(
            "started_at",
            filter=Q(started_at__gte=day_start(period.starts_on), started_at__lt=next_midnight(period.ends_on)),
        )
        for n, period in enumerate(periods)
    }
    return visits.order_by().values("customer").annotate(**counts)


def _totals_by_owner_and_grade(flags: QuerySet, contacts: QuerySet, periods: int) -> list[dict]:
    """Per owner and grade: customers, the flags summed, and per period the customers followed up.

    Joins the two per-customer queries and groups again, which the ORM cannot say; both halves are ORM SQL.
    """
    q = connection.ops.quote_name
    flags_sql, flags_params = flags.query.sql_with_params()
    contacts_sql, contacts_params = contacts.query.sql_with_params()
    summed = ["overdue", *(f"band_{n}" for n in range(len(OVERDUE_BANDS))), *(f"of_{n}" for n in range(periods))]
    followed_up = [
        f"SUM(CASE WHEN c.{q(f'of_{n}')} = 1 AND COALESCE(v.{q(f'contacts_{n}')}, 0) >= c.{q(f'owed_{n}')} "
        f"THEN 1 ELSE 0 END)"
        for n in range(periods)
    ]
    columns = ", ".join([*(f"SUM(c.{q(name)})" for name in summed), *followed_up])
    sql = (
        f"SELECT c.{q('owner')}, c.{q('grade')}, COUNT(*), {columns} "  # noqa: S608 - our own column names
        f"FROM ({flags_sql}) c LEFT JOIN ({contacts_sql}) v ON v.{q('customer')} = c.{q('pk')} GROUP BY 1, 2"
    )
    names = ["owner", "grade", "held", *summed, *(f"done_{n}" for n in range(periods))]
    with connection.cursor() as cursor:
        cursor.execute(sql, (*flags_params, *contacts_params))
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def recount_totals(scope, today: datetime.date, periods: list[Period], policy) -> list[dict]:
    """The per owner and grade figures counted now from the customers and their visits."""
    return _totals_by_owner_and_grade(
        _customer_flags(scope, today, periods, policy), _contacts(scope, periods), periods=len(periods)
    )
