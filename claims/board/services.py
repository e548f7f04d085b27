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

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, Team, User
from accounts.permissions import managed_teams
from crm import formatting
from crm.complaints.models import Complaint
from crm.evidence.models import Attachment
from crm.http import pk_path
from crm.models import BuyingRole, Contact, Customer, Grade, GradeRule
from visits.models import CheckinPolicy, Method, Reminder, ReminderKind, Visit

from ..models import Claim
from . import figures
from .counting import (
    COMPLIANCE_PERIODS,
    OVERDUE_BANDS,
    chart_weeks,
    compliance_periods,
    day_start,
    expected_by_grade,
    week_monday,
)
from .models import PoolWeek, VisitDay

# Cards per grade column: the most overdue fit a phone screen or two, and rendering each card is the
# board's main cost (150 cards took ~140 ms of template work); "show all" pages through the rest.
COLUMN_LIMIT = 20


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
    # Photos of the customer's open complaints (the damaged machine, the broken crate): the manager opens those.
    open_complaint_photos = (
        Attachment.objects.live()
        .images()
        # The content type by its names, joined in SQL: no lookup of its own, so the board's query count is fixed.
        .filter(
            owner_type__app_label=Complaint._meta.app_label,
            owner_type__model=Complaint._meta.model_name,
            owner_id__in=Complaint.objects.unresolved().filter(customer=OuterRef(OuterRef("pk"))).values("pk"),
        )
        .order_by()
        .values("owner_type")  # one group: the count
        .annotate(n=Count("pk"))
        .values("n")
    )
    # A scalar subquery with LIMIT 1, not EXISTS: PostgreSQL hashes an EXISTS in the select list over every
    # decision maker of the company (600,000 at 1,000,000 customers, per column) instead of probing 20 cards.
    first_decision_maker = Contact.objects.filter(customer=OuterRef("pk"), buying_role=BuyingRole.DECISION_MAKER)
    return (
        customers.select_related("owner")
        .alias(first_decision_maker=Subquery(first_decision_maker.values("pk")[:1]))
        .annotate(
            has_decision_maker=ExpressionWrapper(Q(first_decision_maker__isnull=False), output_field=BooleanField()),
            last_visit_at=Subquery(latest_visit.values("started_at")[:1]),
            last_visit_method=Subquery(latest_visit.values("method")[:1]),
            last_visit_step=Subquery(latest_visit.values("next_step")[:1]),
            last_visit_step_due=Subquery(latest_visit.values("next_step_due")[:1]),
            open_step_note=Subquery(open_step.values("note")[:1]),
            open_step_due=Subquery(open_step.values("due_on")[:1]),
            open_complaints=Coalesce(Subquery(open_complaints, output_field=IntegerField()), 0),
            open_complaint_photos=Coalesce(Subquery(open_complaint_photos, output_field=IntegerField()), 0),
            protected_until=Subquery(
                Claim.objects.active().filter(customer=OuterRef("pk")).values("protected_until")[:1]
            ),
        )
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
    """One customer on the board, with what a manager reads at a glance.

    Every fact is worked out once, here, as the text the card shows: the board renders 60 cards a request, and
    each filter, `{% url %}` or branch in the card's template costs that 60 times.
    """

    customer: Customer
    today: datetime.date
    back: str = ""  # the board page (path and filters) the card's action links return to, quoted for `?next=`

    @cached_property
    def pk(self) -> str:
        """The customer's id as written in the card's ids and links (unlocalised)."""
        return str(self.customer.pk)

    @cached_property
    def days_overdue(self) -> int | None:
        """Today minus the next follow-up day: positive when late, negative while still ahead."""
        due = self.customer.next_follow_up_on
        return (self.today - due).days if due else None

    @cached_property
    def is_overdue(self) -> bool:
        return (self.days_overdue or 0) > 0

    @cached_property
    def due_badge(self) -> str:
        """The due badge's colour: red when late, yellow on the day, light otherwise (or without a day)."""
        if self.is_overdue:
            return "text-bg-danger"
        return "text-bg-warning" if self.days_overdue == 0 else "text-bg-light border"

    @cached_property
    def due_text(self) -> str:
        """The due badge's words ("3 days overdue", "Due today"), a dash without a next follow-up."""
        return "—" if self.days_overdue is None else formatting.due_text(self.days_overdue)

    @cached_property
    def follow_up_text(self) -> str:
        return formatting.short_date(self.customer.next_follow_up_on, self.today) or "—"

    @cached_property
    def last_contact(self) -> tuple[datetime.date, str] | None:
        """Day and method of the latest logged visit."""
        at = self.customer.last_visit_at
        if at is None:
            return None
        return timezone.localdate(at), Method(self.customer.last_visit_method).label

    @cached_property
    def last_contact_text(self) -> str:
        if self.last_contact is None:
            return "—"
        day, method = self.last_contact
        return f"{formatting.short_date(day, self.today)} · {method}"

    @cached_property
    def next_step(self) -> tuple[str, datetime.date] | None:
        """The open next-step reminder, else the latest visit's next step while its day is still ahead."""
        customer = self.customer
        if customer.open_step_due:
            return customer.open_step_note, customer.open_step_due
        if customer.last_visit_step and customer.last_visit_step_due and customer.last_visit_step_due >= self.today:
            return customer.last_visit_step, customer.last_visit_step_due
        return None

    @cached_property
    def next_step_text(self) -> str:
        if self.next_step is None:
            return "—"
        note, due = self.next_step
        return f"{note} · {formatting.short_date(due, self.today)}"

    @cached_property
    def protection_days(self) -> int | None:
        """Days of protection left (0: the last protected day is today)."""
        until = self.customer.protected_until
        return (until - self.today).days if until else None

    @cached_property
    def role_warning(self) -> str:
        """The buying-role warning of the customer card, for the one role the board checks."""
        if self.customer.has_decision_maker:
            return ""
        return _("Not yet known: %(roles)s.") % {"roles": BuyingRole.DECISION_MAKER.label}

    @cached_property
    def detail_url(self) -> str:
        return pk_path("crm:customer_detail", self.customer.pk)

    @cached_property
    def transfer_href(self) -> str:
        """The Transfer action, which returns to this card on the board as filtered."""
        return f"{pk_path('board:reassign', self.customer.pk)}?next={self.back}%23card-{self.pk}"

    @cached_property
    def grade_href(self) -> str:
        """The Set grade action, which returns to this card on the board as filtered."""
        return f"{pk_path('board:set_grade', self.customer.pk)}?next={self.back}%23card-{self.pk}"


def card_labels() -> dict[str, str]:
    """The words every card repeats, in the active language: translated once per page, not once per card."""
    return {
        "owner": _("Owner"),
        "last_contact": _("Last contact"),
        "next_follow_up": _("Next follow-up"),
        "next_step": _("Next step"),
        "transfer": _("Transfer"),
        "set_grade": _("Set grade"),
    }


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
    customers: QuerySet,
    today: datetime.date,
    grades=None,
    limit=None,
    *,
    overdue_only=False,
    back: str = "",
    counts: dict | None = None,
) -> list[Column]:
    """One column per grade (or per chosen grade), each its `limit` most overdue customers: one query each.

    `overdue_only` leaves the customers not yet due out of the cards (not out of the counts); `back` is the
    cards' `Card.back`. `counts` ({grade: (customers, overdue)}) when they are known already (the scope's kept
    figures, `TeamFigures.grade_counts`), else they are counted from `customers`.
    """
    grades = grades or Grade.values
    limit = limit or COLUMN_LIMIT
    counts = counts or column_counts(customers, today)
    cards = overdue_first(with_card_facts(customers.overdue(today) if overdue_only else customers))
    return [
        Column(
            grade=grade,
            label=Grade(grade).label,
            cards=[Card(customer, today, back) for customer in cards.filter(grade=grade)[:limit]],
            total=counts[grade][0],
            overdue=counts[grade][1],
        )
        for grade in grades
    ]


# --- per rep --------------------------------------------------------------------------------------


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
    unverified_this_week: int = 0  # on-site visits without a check-in, or checked in far from the site

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
        self.unverified_this_week += other.unverified_this_week


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
    # grade -> (customers, overdue) of the whole scope, as column_counts would count them from the customers
    grade_counts: dict = field(default_factory=dict)

    @cached_property
    def total(self) -> StripRow:
        """The whole scope in one line: the digest's summary."""
        total = StripRow(label=_("Total"))
        for row in self.rows:
            total.add(row)
        return total


def team_figures(scope: Scope, today: datetime.date | None = None) -> TeamFigures:
    """The per-rep strip and the charts' numbers, in a fixed number of queries whatever the size of the team; the
    per-rep figures come from the summary (figures.py), recounted for the reps a change has touched."""
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
    totals = figures.totals(scope, today, distinct, policy)
    grade_counts = {grade: [0, 0] for grade in Grade.values}
    for group in totals:
        grade_counts[group["grade"]][0] += group["held"]
        grade_counts[group["grade"]][1] += int(group["overdue"])
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
    unverified = CheckinPolicy.unverified_onsite_q()
    logged = (
        scope.visits_logged()
        .filter(logged_at__gte=week_start)
        .order_by()
        .values("author")
        # Counting the author, not the primary key: the (author, logged_at) index includes every column read, so
        # the week's visits are counted from the index alone (70 ms from the heap for 30,000 at 1,000,000 customers).
        .annotate(
            n=Count("author"),
            late=Count("author", filter=Q(is_late=True)),
            unverified=Count("author", filter=unverified),
        )
    )
    for group in logged:
        if group["author"] in rows:
            rows[group["author"]].visits_this_week = group["n"]
            rows[group["author"]].late_this_week = group["late"]
            rows[group["author"]].unverified_this_week = group["unverified"]

    # Counted per person and day as visits are written (models.VisitDay), not read visit by visit.
    by_method = VisitDay.objects.filter(day__gte=today - datetime.timedelta(days=29), day__lte=today)
    if not scope.is_company:
        by_method = by_method.filter(author__in=scope.people)
    by_method = by_method.order_by().values("method").annotate(n=Sum("n")).filter(n__gt=0)
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
        grade_counts={grade: tuple(counted) for grade, counted in grade_counts.items()},
    )


def pool_flow(scope: Scope, weeks: list[datetime.date]) -> list[tuple]:
    """Per week: customers that went into the pool, were claimed from it, and were newly registered (one query).

    Read from the weekly counts the ownership history keeps (models.PoolWeek): a flow into the pool counts for
    the rep who let the customer go, a claim or a registration for the rep who took it.
    """
    groups = PoolWeek.objects.filter(week__gte=weeks[0], week__lte=weeks[-1])
    if not scope.is_company:
        groups = groups.filter(user_id__in=scope.people.values("pk"))
    counts = {monday: [0, 0, 0] for monday in weeks}
    for week, flow, n in (
        groups.order_by().values("week", "flow").annotate(total=Sum("n")).values_list("week", "flow", "total")
    ):
        counts[week][flow - 1] += n
    return [(monday, *counts[monday]) for monday in weeks]
