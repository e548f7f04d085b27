"""The board's summaries (claims/board/figures.py and the triggers that keep them) against a fresh count.

Random sequences of the changes a team makes (registrations, visits logged, edited and deleted, transfers, lapses
written set-based, grade and status changes, pauses, a policy edit, ownership history) must leave every summary
equal to what counting the rows again gives, whoever wrote the change.
"""

import datetime
import random
from collections import Counter

import pytest
from django.utils import timezone

from accounts.models import Role
from claims.board import figures
from claims.board.counting import recount_totals
from claims.board.models import FollowUpFigures, PoolFlow, PoolWeek, StaleOwner, VisitDay
from claims.board.services import board_scope
from claims.models import EventKind, OwnershipEvent
from crm.models import Customer, Grade, GradeRule, Status
from tests.concurrency import run_at_once
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from visits.models import Method, Snooze, Visit

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def normalized(rows):
    return sorted((row["owner"], row["grade"], tuple(sorted(row.items()))) for row in rows)


def assert_summary_is_a_recount(scope, today):
    periods = figures.distinct_periods(today)
    policy = GradeRule.policy()
    summarized = figures.totals(scope, today, periods, policy)
    counted = [
        {key: int(value) if key not in ("owner", "grade") else value for key, value in row.items()}
        for row in recount_totals(scope, today, periods, policy)
    ]
    assert normalized(summarized) == normalized(counted)


def expected_visit_days():
    counts = Counter()
    for author, started_at, method in Visit.objects.values_list("author", "started_at", "method"):
        counts[(author, timezone.localdate(started_at), method)] += 1
    return counts


def expected_pool_weeks():
    counts = Counter()
    for kind, at, from_user, to_user in OwnershipEvent.objects.values_list("kind", "at", "from_user", "to_user"):
        if kind in ("lapsed", "released") or (kind in ("departed", "decided", "registered") and to_user is None):
            flow, user = PoolFlow.INTO, from_user
        elif kind == "claimed":
            flow, user = PoolFlow.CLAIMED, to_user
        elif kind == "registered":
            flow, user = PoolFlow.REGISTERED, to_user
        else:
            continue
        day = timezone.localdate(at)
        counts[(user or 0, day - datetime.timedelta(days=day.weekday()), flow)] += 1
    return counts


class Team:
    """Two teams' reps, their managers, an admin, and the changes a random day brings."""

    def __init__(self, rng, today):
        self.rng, self.today = rng, today
        self.teams = [TeamFactory(), TeamFactory()]
        self.managers = [UserFactory(role=Role.MANAGER) for _ in self.teams]
        for team, manager in zip(self.teams, self.managers, strict=True):
            team.manager = manager
            team.save()
        self.reps = [UserFactory(role=Role.REP, team=self.teams[n % 2]) for n in range(4)]
        self.admin = UserFactory(role=Role.ADMIN)
        self.customers = [self.register() for _ in range(8)]

    def when(self, back=100):
        moment = timezone.now() - datetime.timedelta(days=self.rng.randint(0, back), hours=self.rng.randint(0, 23))
        return moment

    def register(self):
        return CustomerFactory(
            owner=self.rng.choice([*self.reps, None]),
            grade=self.rng.choice(Grade.values),
            next_follow_up_on=self.today + datetime.timedelta(days=self.rng.randint(-40, 10)),
            created_at=self.when(200),
        )

    def step(self):
        rng, customer = self.rng, self.rng.choice(self.customers)
        action = rng.randrange(12)
        if action == 0:
            self.customers.append(self.register())
        elif action in (1, 2, 3):
            Visit.objects.create(
                customer=customer, author=rng.choice(self.reps), method=rng.choice(Method.values),
                started_at=self.when(), discussion="电话沟通",
            )  # fmt: skip
        elif action == 4 and Visit.objects.exists():
            visit = rng.choice(list(Visit.objects.all()))
            if rng.random() < 0.5:
                visit.delete()
            else:
                Visit.objects.filter(pk=visit.pk).update(started_at=self.when(), customer=rng.choice(self.customers))
        elif action == 5:
            customer.owner = rng.choice([*self.reps, None])
            customer.save()
        elif action == 6:  # a sweep's set-based lapse
            Customer.objects.filter(pk__in=[c.pk for c in rng.sample(self.customers, 2)]).update(owner=None)
        elif action == 7:
            if rng.random() < 0.5:
                Customer.objects.filter(pk=customer.pk).update(grade=rng.choice(Grade.values))
            else:
                Customer.objects.filter(pk=customer.pk).update(status=rng.choice([Status.LOST, Status.ACTIVE]))
        elif action == 8:
            Customer.objects.filter(pk=customer.pk).update(
                next_follow_up_on=self.today + datetime.timedelta(days=rng.randint(-40, 10))
            )
        elif action == 9:
            if rng.random() < 0.6:
                Snooze.objects.create(
                    customer=customer, until=self.today + datetime.timedelta(days=rng.randint(-20, 20)),
                    reason="暂时不需要", created_by=self.reps[0], created_at=self.when(60),
                )  # fmt: skip
            else:
                Snooze.objects.filter(customer=customer).delete()
        elif action == 10:
            GradeRule.objects.filter(grade=rng.choice(Grade.values)).update(cadence_days=rng.choice([7, 14, 30]))
        else:
            OwnershipEvent.objects.create(
                customer=customer, kind=rng.choice(EventKind.values), at=self.when(70),
                from_user=rng.choice([*self.reps, None]), to_user=rng.choice([*self.reps, None]),
            )  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_summary_equals_a_recount_after_random_changes(seed):
    today = timezone.localdate()
    world = Team(random.Random(seed), today)
    scopes = [board_scope(user, None) for user in (*world.managers, world.admin)]
    for round_ in range(40):
        world.step()  # one change at a time, so that a change no trigger marks shows
        # A view of one scope recounts only its own reps; the others stay marked until theirs (or the beat job).
        for scope in world.rng.sample(scopes, len(scopes)):
            assert_summary_is_a_recount(scope, today)
        assert {key: n for key, n in expected_visit_days().items() if n} == {
            (row.author_id, row.day, row.method): row.n for row in VisitDay.objects.filter(n__gt=0)
        }, f"visit days after round {round_}"
        assert expected_pool_weeks() == {(row.user_id, row.week, row.flow): row.n for row in PoolWeek.objects.all()}, (
            f"pool weeks after round {round_}"
        )


def test_a_view_recounts_only_its_own_stale_reps(rep, manager, team):
    other_team_rep = UserFactory(role=Role.REP, team=TeamFactory())
    mine = CustomerFactory(owner=rep, grade="A")
    CustomerFactory(owner=other_team_rep, grade="B")
    figures.totals(board_scope(manager, None), timezone.localdate(), figures.distinct_periods(timezone.localdate()),
                   GradeRule.policy())  # fmt: skip
    assert set(StaleOwner.objects.values_list("owner_id", flat=True)) == {other_team_rep.pk}
    assert FollowUpFigures.objects.get(owner=rep).held == 1
    Visit.objects.create(customer=mine, author=rep, started_at=timezone.now(), discussion="电话沟通")
    assert set(StaleOwner.objects.values_list("owner_id", flat=True)) == {other_team_rep.pk, rep.pk}


def test_the_figures_of_an_earlier_day_are_recounted(rep, manager, team, time_machine):
    """Overdue and the compliance periods move with the day: figures of yesterday are counted again today."""
    today = timezone.localdate()
    CustomerFactory(owner=rep, grade="A", next_follow_up_on=today)  # due today: not overdue yet
    scope = board_scope(manager, None)
    policy = GradeRule.policy()
    (row,) = figures.totals(scope, today, figures.distinct_periods(today), policy)
    assert row["overdue"] == 0
    tomorrow = today + datetime.timedelta(days=1)
    (row,) = figures.totals(scope, tomorrow, figures.distinct_periods(tomorrow), policy)
    assert row["overdue"] == 1
    assert FollowUpFigures.objects.get(owner=rep).computed_on == tomorrow


def test_the_nightly_job_recounts_everyone_and_clears_every_mark(rep):
    CustomerFactory(owner=rep, grade="A")
    assert StaleOwner.objects.exists()
    written = figures.refresh()
    assert written == 1 and not StaleOwner.objects.exists()
    assert FollowUpFigures.objects.get(owner=rep).computed_on == timezone.localdate()


@pytest.mark.postgres
def test_the_triggers_mark_once_per_statement_on_postgresql(rep):
    customers = CustomerFactory.create_batch(5, owner=rep)
    StaleOwner.objects.all().delete()
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(grade="A")
    assert StaleOwner.objects.count() == 1
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(name="同名不变")  # a column the board ignores
    assert StaleOwner.objects.count() == 1


def _visit(customer, started_at=None):
    return Visit.objects.create(customer=customer, author=customer.owner, started_at=started_at or timezone.now())


# Each change, with the customer it starts from: how many visits in the last 10 days (an A customer owes 4 in 30
# days) and whether it is paused during the periods.
CHANGES = {
    "status lost": (0, False, lambda c, other: Customer.objects.filter(pk=c.pk).update(status=Status.LOST)),
    "grade": (0, False, lambda c, other: Customer.objects.filter(pk=c.pk).update(grade="C")),
    "owner": (0, False, lambda c, other: Customer.objects.filter(pk=c.pk).update(owner=other)),
    "into the pool": (0, False, lambda c, other: Customer.objects.filter(pk=c.pk).update(owner=None)),
    "next follow-up": (0, False, lambda c, other: Customer.objects.filter(pk=c.pk).update(
        next_follow_up_on=timezone.localdate() - datetime.timedelta(days=20)
    )),
    "registered later": (0, False, lambda c, other: Customer.objects.filter(pk=c.pk).update(created_at=timezone.now())),
    "removed": (0, False, lambda c, other: Customer.objects.filter(pk=c.pk).delete()),
    "visit logged": (3, False, lambda c, other: _visit(c)),
    "visit moved to another customer": (4, False, lambda c, other: Visit.objects.filter(customer=c).update(
        customer=CustomerFactory(owner=other)
    )),
    "visit moved in time": (4, False, lambda c, other: Visit.objects.filter(customer=c).update(
        started_at=timezone.now() - datetime.timedelta(days=300)
    )),
    "visit deleted": (4, False, lambda c, other: Visit.objects.filter(customer=c).delete()),
    "paused": (0, False, lambda c, other: Snooze.objects.create(
        customer=c, until=timezone.localdate() + datetime.timedelta(days=9), reason="暂时不需要", created_by=c.owner
    )),
    "pause shortened": (0, True, lambda c, other: Snooze.objects.filter(customer=c).update(
        until=timezone.localdate() - datetime.timedelta(days=200)
    )),
    "pause removed": (0, True, lambda c, other: Snooze.objects.filter(customer=c).delete()),
    "policy": (1, False, lambda c, other: GradeRule.objects.filter(grade="A").update(cadence_days=60)),
}  # fmt: skip


@pytest.mark.parametrize("change", CHANGES)
def test_each_change_that_moves_the_figures_marks_its_owners(change, rep, manager, team):
    """One change at a time, counted before and after: the summary follows every change the figures read."""
    visits, paused, make_change = CHANGES[change]
    other = UserFactory(role=Role.REP, team=team)
    customer = CustomerFactory(owner=rep, grade="A", created_at=timezone.now() - datetime.timedelta(days=300))
    for n in range(visits):
        _visit(customer, started_at=timezone.now() - datetime.timedelta(days=n * 3))
    if paused:
        Snooze.objects.create(
            customer=customer, until=timezone.localdate() + datetime.timedelta(days=3), reason="暂时不需要",
            created_by=rep, created_at=timezone.now() - datetime.timedelta(days=40),
        )  # fmt: skip
    scope, today = board_scope(manager, None), timezone.localdate()
    before = figures.totals(scope, today, figures.distinct_periods(today), GradeRule.policy())
    make_change(customer, other)
    assert_summary_is_a_recount(scope, today)
    assert normalized(figures.totals(scope, today, figures.distinct_periods(today), GradeRule.policy())) != (
        normalized(before)
    ), "the change should have moved the figures (else this case tests nothing)"


def test_the_beat_job_recounts_the_stale_and_everyone_once_the_day_turns(rep, time_machine):
    from claims.board.tasks import board_figures_task

    mine = CustomerFactory(owner=rep, grade="A")
    assert board_figures_task.delay().get() == 1 and not StaleOwner.objects.exists()
    assert board_figures_task.delay().get() == 0  # nothing changed: nothing written
    Visit.objects.create(customer=mine, author=rep, started_at=timezone.now(), discussion="电话沟通")
    assert board_figures_task.delay().get() == 1
    time_machine.move_to(timezone.now() + datetime.timedelta(days=1))
    assert board_figures_task.delay().get() == 1
    assert FollowUpFigures.objects.get(owner=rep).computed_on == timezone.localdate()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_recount_of_everyone_and_one_of_a_rep_at_once_take_turns(rep, manager, team):
    """The beat job's recount of everyone and a manager's view recounting a rep write the same rows: they take
    turns (advisory locks), so neither finds the other's rows in its way and the result is a recount."""
    for grade in Grade.values:
        CustomerFactory(owner=rep, grade=grade)
    turns = iter([lambda: figures.refresh(), lambda: figures.refresh(owners={rep.pk})] * 3)
    for _ in range(3):
        pair = [next(turns), next(turns)]
        results, errors = run_at_once(lambda pair=pair: pair.pop()())
        assert errors == [] and len(results) == 2
    assert_summary_is_a_recount(board_scope(manager, None), timezone.localdate())
