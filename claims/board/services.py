"""The manager's follow-up board: which customers wait longest, and how well each rep keeps the cadence.

Every number on the board, its charts and the weekly digest comes from here, in
a fixed number of queries whatever the number of customers: the columns are
capped, and the per-rep figures are grouped in the database.

Follow-up compliance, one definition for the strip, the chart and the digest:
a customer is *followed up* in a period of N days when it had at least as many
logged contacts (visits of any method, by anyone) in those days as its grade's
cadence asks, one per full cadence and at least one: with the default policy, in
30 days A 4, B 2, C 1; in 90 days A 12, B 6, C 3. A rep's compliance is the
share of the customers they hold now that were followed up, counting only
customers registered before the period began, not lost, and not paused (暂时不需要)
during it. Past weeks are measured the same way on today's customers and grades.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, Team, User
from accounts.permissions import managed_teams
from crm.complaints.models import Complaint
from crm.models import BuyingRole, Contact, Customer, Grade, GradeRule, Status
from visits.models import Method, Reminder, ReminderKind, Snooze, Visit

from ..models import Claim, EventKind, OwnershipEvent

# Cards per grade column: the most overdue fit a phone screen or two, and rendering each card is the
# board's main cost (150 cards took ~140 ms of template work); "show all" pages through the rest.
COLUMN_LIMIT = 20
COMPLIANCE_PERIODS = (30, 90)
CHART_WEEKS = 8
# Overdue bands for the chart, in days past due: (first, last); None: no upper end.
OVERDUE_BANDS = ((1, 7), (8, 30), (31, None))


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day`, in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def next_midnight(day: datetime.date) -> datetime.datetime:
    """Midnight at the end of `day`: periods include their last day."""
    return day_start(day + datetime.timedelta(days=1))


def week_monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


# --- whose customers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose customers the board shows: one team, every team a manager leads, or (admins) the company."""

    user: User
    teams: list[Team]  # the teams the user may switch between
    team: Team | None = None  # the chosen one; None: all of them

    @property
    def is_company(self) -> bool:
        return self.user.is_admin and self.team is None

    @cached_property
    def people(self) -> QuerySet:
        """Who may hold the customers on the board (admins hold none)."""
        if self.team is not None:
            people = User.objects.filter(Q(team=self.team) | Q(pk=self.team.manager_id))
        elif self.is_company:
            people = User.objects.all()
        else:
            people = User.objects.visible_to(self.user)
        return people.exclude(role=Role.ADMIN)

    def customers(self) -> QuerySet:
        """The customers on the board: those its people hold (the pool is not on it)."""
        if self.is_company:
            return Customer.objects.filter(owner__isnull=False)
        return Customer.objects.filter(owner__in=self.people)

    def visits_logged(self) -> QuerySet:
        """Visits the people on the board logged (on any customer)."""
        return Visit.objects.all() if self.is_company else Visit.objects.filter(author__in=self.people)

    def visits_on_customers(self) -> QuerySet:
        """Visits to the board's customers (by anyone)."""
        return Visit.objects.all() if self.is_company else Visit.objects.filter(customer__in=self.customers())


def board_scope(user: User, team_id: str | None) -> Scope | None:
    """The board `user` asked for; None when `team_id` names no team they may see."""
    teams = list(managed_teams(user).order_by("name"))
    if not team_id:
        return Scope(user=user, teams=teams)
    chosen = next((team for team in teams if str(team.pk) == team_id), None)
    return Scope(user=user, teams=teams, team=chosen) if chosen else None


# --- the columns ----------------------------------------------------------------------------------


def with_card_facts(customers: QuerySet) -> QuerySet:
    """What each card shows, as one subquery per fact, so a column is one query whatever its length."""
    latest_visit = Visit.objects.filter(customer=OuterRef("pk")).order_by("-started_at", "-pk")
    open_step = (
        Reminder.objects.open().filter(customer=OuterRef("pk"), kind=ReminderKind.NEXT_STEP).order_by("due_on", "pk")
    )
    open_complaints = (
        Complaint.objects.unresolved()
        .filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return customers.select_related("owner").annotate(
        has_decision_maker=Exists(
            Contact.objects.filter(customer=OuterRef("pk"), buying_role=BuyingRole.DECISION_MAKER)
        ),
        last_visit_at=Subquery(latest_visit.values("started_at")[:1]),
        last_visit_method=Subquery(latest_visit.values("method")[:1]),
        last_visit_step=Subquery(latest_visit.values("next_step")[:1]),
        last_visit_step_due=Subquery(latest_visit.values("next_step_due")[:1]),
        open_step_note=Subquery(open_step.values("note")[:1]),
        open_step_due=Subquery(open_step.values("due_on")[:1]),
        open_complaints=Coalesce(Subquery(open_complaints, output_field=IntegerField()), 0),
        protected_until=Subquery(Claim.objects.active().filter(customer=OuterRef("pk")).values("protected_until")[:1]),
    )


def without_decision_maker(customers: QuerySet) -> QuerySet:
    return customers.exclude(
        Exists(Contact.objects.filter(customer=OuterRef("pk"), buying_role=BuyingRole.DECISION_MAKER))
    )


def overdue_first(customers: QuerySet) -> QuerySet:
    """Most days past due first; customers with no due day last."""
    return customers.order_by(F("next_follow_up_on").asc(nulls_last=True), "name", "pk")


@dataclass
class Card:
    """One customer on the board, with what a manager reads at a glance."""

    customer: Customer
    today: datetime.date

    @property
    def days_overdue(self) -> int | None:
        """Today minus the next follow-up day: positive when late, negative while still ahead."""
        due = self.customer.next_follow_up_on
        return (self.today - due).days if due else None

    @property
    def is_overdue(self) -> bool:
        return (self.days_overdue or 0) > 0

    @property
    def days_ahead(self) -> int | None:
        return -self.days_overdue if self.days_overdue is not None else None

    @property
    def last_contact(self) -> tuple[datetime.date, str] | None:
        """Day and method of the latest logged visit."""
        at = self.customer.last_visit_at
        if at is None:
            return None
        return timezone.localdate(at), Method(self.customer.last_visit_method).label

    @property
    def next_step(self) -> tuple[str, datetime.date] | None:
        """The open next-step reminder, else the latest visit's next step while its day is still ahead."""
        customer = self.customer
        if customer.open_step_due:
            return customer.open_step_note, customer.open_step_due
        if customer.last_visit_step and customer.last_visit_step_due and customer.last_visit_step_due >= self.today:
            return customer.last_visit_step, customer.last_visit_step_due
        return None

    @property
    def protection_days(self) -> int | None:
        """Days of protection left (0: the last protected day is today)."""
        until = self.customer.protected_until
        return (until - self.today).days if until else None

    @property
    def role_warning(self) -> str:
        """The buying-role warning of the customer card, for the one role the board checks."""
        if self.customer.has_decision_maker:
            return ""
        return _("Not yet known: %(roles)s.") % {"roles": BuyingRole.DECISION_MAKER.label}


@dataclass
class Column:
    grade: str
    label: str
    cards: list[Card]
    total: int
    overdue: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.cards)

    @property
    def overdue_hidden(self) -> int:
        """Overdue customers beyond the cards shown."""
        return self.overdue - sum(card.is_overdue for card in self.cards)


def column_counts(customers: QuerySet, today: datetime.date) -> dict:
    """Customers and overdue customers per grade, in one query."""
    # Counting the (never empty) grade rather than the id lets PostgreSQL answer from customer_board_counts alone.
    counts = customers.order_by().aggregate(
        **{f"total_{g}": Count("grade", filter=Q(grade=g)) for g in Grade.values},
        **{f"overdue_{g}": Count("grade", filter=Q(grade=g, next_follow_up_on__lt=today)) for g in Grade.values},
    )
    return {g: (counts[f"total_{g}"], counts[f"overdue_{g}"]) for g in Grade.values}


def board_columns(
    customers: QuerySet, today: datetime.date, grades=None, limit=None, *, overdue_only=False
) -> list[Column]:
    """One column per grade (or per chosen grade), each its `limit` most overdue customers: one query each.

    `overdue_only` leaves the customers not yet due out of the cards (not out of the counts).
    """
    grades = grades or Grade.values
    limit = limit or COLUMN_LIMIT
    counts = column_counts(customers, today)
    cards = overdue_first(with_card_facts(customers.overdue(today) if overdue_only else customers))
    return [
        Column(
            grade=grade,
            label=Grade(grade).label,
            cards=[Card(customer, today) for customer in cards.filter(grade=grade)[:limit]],
            total=counts[grade][0],
            overdue=counts[grade][1],
        )
        for grade in grades
    ]


# --- per rep --------------------------------------------------------------------------------------


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


def compliance_level(percent: int | None) -> str:
    """How a compliance figure is coloured: low below half, mid below 80 %, high from 80 %; none unmeasured."""
    if percent is None:
        return "none"
    return "low" if percent < 50 else "mid" if percent < 80 else "high"


@dataclass
class Share:
    """`done` of `of`, shown as a percentage (None when nothing was measured)."""

    done: int = 0
    of: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.done / self.of) if self.of else None

    @property
    def level(self) -> str:
        return compliance_level(self.percent)

    def __add__(self, other):
        return Share(self.done + other.done, self.of + other.of)


@dataclass
class StripRow:
    """One line of the strip: a rep, or company-wide a team (the sum of its reps)."""

    label: str
    person: User | None = None
    held: dict = field(default_factory=lambda: dict.fromkeys(Grade.values, 0))
    overdue: int = 0
    compliance: dict = field(default_factory=lambda: defaultdict(Share))
    visits_this_week: int = 0
    late_this_week: int = 0

    @property
    def total_held(self) -> int:
        return sum(self.held.values())

    @property
    def strip_compliance(self) -> list[Share]:
        return [self.compliance[f"last_{days}"] for days in COMPLIANCE_PERIODS]

    def add(self, other: "StripRow") -> None:
        for grade, count in other.held.items():
            self.held[grade] += count
        for key, share in other.compliance.items():
            self.compliance[key] += share
        self.overdue += other.overdue
        self.visits_this_week += other.visits_this_week
        self.late_this_week += other.late_this_week


def by_team(rows: list[StripRow]) -> list[StripRow]:
    """The reps' rows summed per team, in team order; reps without a team last."""
    teams = {}
    for row in rows:
        team = row.person.team
        key = (team is None, team.name if team else "")
        total = teams.setdefault(key, StripRow(label=team.name if team else _("No team")))
        total.add(row)
    return [teams[key] for key in sorted(teams)]


@dataclass
class TeamFigures:
    """The strip, and what the charts draw, for one scope."""

    today: datetime.date
    rows: list[StripRow]  # per rep; company-wide per team
    weeks: list[datetime.date]
    overdue_bands: dict  # grade -> [count per OVERDUE_BANDS]
    visits_by_method: list  # (method label, count), most used first
    pool_flow: list  # per week: (monday, into the pool, claimed from it, registered)
    expected: dict  # "days_30" -> {grade: contacts owed}

    @cached_property
    def total(self) -> StripRow:
        """The whole scope in one line: the digest's summary."""
        total = StripRow(label=_("Total"))
        for row in self.rows:
            total.add(row)
        return total


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _customer_flags(scope: Scope, today: datetime.date, periods: list[Period], policy) -> QuerySet:
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


def _contacts(scope: Scope, periods: list[Period]) -> QuerySet:
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


def team_figures(scope: Scope, today: datetime.date | None = None) -> TeamFigures:
    """The per-rep strip and the charts' numbers, in six queries whatever the size of the team."""
    today = today or timezone.localdate()
    policy = GradeRule.policy()
    periods = compliance_periods(today)
    weeks = chart_weeks(today)
    people = scope.people.select_related("team").order_by("last_name", "first_name", "username")
    rows = {person.pk: StripRow(label=str(person), person=person) for person in people}
    bands = {grade: [0] * len(OVERDUE_BANDS) for grade in Grade.values}
    # This week's chart period is the strip's 30 days: each distinct period is counted once.
    distinct = list(dict.fromkeys(periods.values()))
    aliases = {key: distinct.index(period) for key, period in periods.items()}
    totals = _totals_by_owner_and_grade(
        _customer_flags(scope, today, distinct, policy), _contacts(scope, distinct), periods=len(distinct)
    )
    for group in totals:
        row = rows.get(group["owner"])
        if row is None:  # held by someone outside the scope's people (e.g. a departed admin): skip
            continue
        row.held[group["grade"]] += group["held"]
        row.overdue += int(group["overdue"])
        for key, n in aliases.items():
            row.compliance[key] += Share(int(group[f"done_{n}"]), int(group[f"of_{n}"]))
        for n in range(len(OVERDUE_BANDS)):
            bands[group["grade"]][n] += int(group[f"band_{n}"])

    week_start = day_start(week_monday(today))
    logged = (
        scope.visits_logged()
        .filter(logged_at__gte=week_start)
        .order_by()
        .values("author")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(is_late=True)))
    )
    for group in logged:
        if group["author"] in rows:
            rows[group["author"]].visits_this_week = group["n"]
            rows[group["author"]].late_this_week = group["late"]

    by_method = (
        scope.visits_on_customers()
        .filter(started_at__gte=day_start(today - datetime.timedelta(days=29)))
        .order_by()
        .values("method")
        .annotate(n=Count("pk"))
    )
    visits_by_method = sorted(
        ((Method(group["method"]).label, group["n"]) for group in by_method), key=lambda item: (-item[1], str(item[0]))
    )

    # Everyone current, and anyone else still holding customers (their customers must not vanish from the strip).
    shown = [row for row in rows.values() if (row.person.is_active and not row.person.has_departed) or row.total_held]
    return TeamFigures(
        today=today,
        rows=by_team(shown) if scope.is_company else shown,
        weeks=weeks,
        overdue_bands=bands,
        visits_by_method=visits_by_method,
        pool_flow=pool_flow(scope, weeks),
        expected={f"days_{days}": expected_by_grade(policy, days) for days in COMPLIANCE_PERIODS},
    )


INTO_POOL = Q(kind__in=[EventKind.LAPSED, EventKind.RELEASED]) | Q(
    kind__in=[EventKind.DEPARTED, EventKind.DECIDED, EventKind.REGISTERED], to_user__isnull=True
)


def pool_flow(scope: Scope, weeks: list[datetime.date]) -> list[tuple]:
    """Per week: customers that went into the pool, were claimed from it, and were newly registered (one query).

    Grouped by week and kind in the database: one filter per kind, not one per kind and week.
    """
    into, claimed, registered = (
        INTO_POOL,
        Q(kind=EventKind.CLAIMED),
        Q(kind=EventKind.REGISTERED, to_user__isnull=False),
    )
    if not scope.is_company:
        people = scope.people
        into &= Q(from_user__in=people)
        claimed &= Q(to_user__in=people)
        registered &= Q(to_user__in=people)
    flow = Case(
        When(into, then=Value(1)),
        When(claimed, then=Value(2)),
        When(registered, then=Value(3)),
        default=Value(0),
        output_field=IntegerField(),
    )
    groups = (
        OwnershipEvent.objects.filter(at__gte=day_start(weeks[0]))
        .order_by()
        .annotate(week=TruncWeek("at"), flow=flow)
        .filter(flow__gt=0)
        .values("week", "flow")
        .annotate(n=Count("pk"))
    )
    counts = {monday: [0, 0, 0] for monday in weeks}
    for group in groups:
        monday = timezone.localdate(group["week"])
        if monday in counts:
            counts[monday][group["flow"] - 1] += group["n"]
    return [(monday, *counts[monday]) for monday in weeks]
