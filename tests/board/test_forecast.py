import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from claims.board.forecast import board_forecast
from claims.board.services import board_scope
from claims.models import Claim
from crm.deals.forms import SalesTargetGridForm
from crm.deals.models import CloseReason, Opportunity, Period, PeriodKind, SalesTarget, Stage, StageChange, Status
from crm.deals.services import sales_target_set
from tests.concurrency import run_at_once
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

FORECAST = reverse("board:forecast")
TARGETS = reverse("board:targets")


def days(n):
    return datetime.timedelta(days=n)


@pytest.fixture
def stages(db):
    return {stage.order: stage for stage in Stage.objects.in_use()}


@pytest.fixture
def colleague(team, manager):
    return UserFactory(role="rep", team=team, first_name="丽", last_name="李")


@pytest.fixture
def outsider():
    boss = UserFactory(role="manager")
    other_team = TeamFactory(manager=boss)
    boss.team = other_team
    boss.save()
    return UserFactory(role="rep", team=other_team)


def held(rep, *, split_with=None, share=70):
    customer = CustomerFactory(owner=rep)
    today = timezone.localdate()
    Claim.objects.create(
        customer=customer, holder=rep, renewed_on=today, protected_until=today + days(90),
        holder_share=share if split_with else 100, shared_with=split_with,
    )  # fmt: skip
    return customer


def deal(customer, *, amount, stage=None, status=Status.OPEN, probability=50, closes=None, closed_on=None,
         entered=None, history=()):  # fmt: skip
    """A deal as the services leave it; `history` the stages its StageChange rows entered, in order."""
    stage = stage or Stage.objects.in_use()[0]
    opportunity = Opportunity.objects.create(
        customer=customer, title="五轴加工中心", stage=stage, probability=probability, status=status,
        expected_close_on=closes or timezone.localdate(), amount=Decimal(amount),
        closed_on=closed_on if status != Status.OPEN else None, created_by=customer.owner,
        stage_entered_at=entered or timezone.now(),
        close_reason=CloseReason.objects.filter(outcome=status).first() if status == Status.LOST else None,
    )  # fmt: skip
    previous = None
    for entered_stage in history:
        StageChange.objects.create(
            opportunity=opportunity, actor=customer.owner, from_stage=previous, to_stage=entered_stage
        )
        previous = entered_stage
    return opportunity


def forecast_for(user, team=None):
    return board_forecast(board_scope(user, str(team.pk) if team else None))


def row_of(forecast, person):
    return next(row for row in forecast.rows if row.person == person)


# --- the figures --------------------------------------------------------------------------------------


def test_a_split_customer_counts_70_30_in_every_per_rep_figure(manager, rep, colleague):
    today = timezone.localdate()
    customer = held(rep, split_with=colleague, share=70)
    deal(customer, amount=100_000, status=Status.WON, closed_on=today, probability=100)
    deal(customer, amount=200_000, probability=50, closes=today)
    deal(held(colleague), amount=10_000, status=Status.WON, closed_on=today, probability=100)

    forecast = forecast_for(manager)

    mine, theirs = row_of(forecast, rep), row_of(forecast, colleague)
    assert (mine.month.won, mine.month.weighted) == (Decimal("70000.00"), Decimal("70000.00"))
    assert (theirs.month.won, theirs.month.weighted) == (Decimal("40000.00"), Decimal("30000.00"))
    assert mine.quarter.won == Decimal("70000.00") and theirs.quarter.won == Decimal("40000.00")
    # Shares add up: the team's total counts each deal once.
    assert forecast.total.month.won == Decimal("110000.00")
    assert forecast.total.month.weighted == Decimal("100000.00")


def test_an_uneven_split_keeps_its_cents(manager, rep, colleague):
    customer = held(rep, split_with=colleague, share=67)
    deal(customer, amount="1000.01", status=Status.WON, closed_on=timezone.localdate(), probability=100)

    forecast = forecast_for(manager)

    assert row_of(forecast, rep).month.won + row_of(forecast, colleague).month.won == Decimal("1000.01")


def test_periods_are_local_calendar_months_and_quarters(manager, rep, clock_instant):
    today = timezone.localdate()
    if clock_instant is not None:
        assert today == clock_instant.date()  # the instant is in Asia/Shanghai: its date is the local date
    month, quarter = Period.containing(PeriodKind.MONTH, today), Period.containing(PeriodKind.QUARTER, today)
    customer = held(rep)
    won_on = {
        "month_first": (month.starts_on, 1),
        "month_last": (month.ends_on, 2),
        "before_month": (month.starts_on - days(1), 4),
        "after_month": (month.ends_on + days(1), 8),
        "quarter_first": (quarter.starts_on, 16),
        "quarter_last": (quarter.ends_on, 32),
        "before_quarter": (quarter.starts_on - days(1), 64),
        "after_quarter": (quarter.ends_on + days(1), 128),
    }
    for day, amount in won_on.values():
        deal(customer, amount=amount, status=Status.WON, closed_on=day, probability=100)
        deal(customer, amount=amount, probability=100, closes=day)

    forecast = forecast_for(manager)

    assert forecast.month == month and forecast.quarter == quarter
    in_month = sum(amount for day, amount in won_on.values() if month.starts_on <= day <= month.ends_on)
    in_quarter = sum(amount for day, amount in won_on.values() if quarter.starts_on <= day <= quarter.ends_on)
    figures = row_of(forecast, rep)
    assert figures.month.won == figures.month.weighted == in_month
    assert figures.quarter.won == figures.quarter.weighted == in_quarter
    assert in_month == 1 + 2 + 16 * (month.starts_on == quarter.starts_on) + 32 * (month.ends_on == quarter.ends_on)


def test_period_arithmetic():
    assert Period.containing("quarter", datetime.date(2028, 12, 31)) == Period("quarter", datetime.date(2028, 10, 1))
    assert Period("quarter", datetime.date(2028, 10, 1)).ends_on == datetime.date(2028, 12, 31)
    assert Period("month", datetime.date(2028, 12, 1)).following() == Period("month", datetime.date(2029, 1, 1))
    assert Period("month", datetime.date(2029, 2, 1)).ends_on == datetime.date(2029, 2, 28)
    assert not Period("quarter", datetime.date(2029, 2, 1)).is_valid_start()


def test_targets_and_percent_of_target(manager, rep):
    today = timezone.localdate()
    deal(held(rep), amount=50_000, status=Status.WON, closed_on=today, probability=100)
    month, quarter = Period.containing("month", today), Period.containing("quarter", today)
    sales_target_set(actor=manager, rep=rep, period=month, amount=Decimal(200_000))
    sales_target_set(actor=manager, rep=rep, period=quarter, amount=Decimal(500_000))
    sales_target_set(actor=manager, rep=rep, period=month.following(), amount=Decimal(1))  # not this month's

    figures = row_of(forecast_for(manager), rep)

    assert (figures.month.target, figures.month.percent) == (Decimal(200_000), 25)
    assert (figures.quarter.target, figures.quarter.percent) == (Decimal(500_000), 10)


def test_lost_and_abandoned_deals_count_nowhere_but_the_win_rate(manager, rep):
    today = timezone.localdate()
    customer = held(rep)
    deal(customer, amount=9_000, status=Status.LOST, closed_on=today, probability=0)
    deal(customer, amount=9_000, status=Status.ABANDONED, closed_on=today, probability=0)

    figures = row_of(forecast_for(manager), rep)

    assert figures.month.won == figures.month.weighted == 0


def test_stuck_deals_are_those_longer_in_their_stage_than_its_usual_days(manager, rep, stages):
    now = timezone.now()
    usual = stages[2].usual_days
    customer = held(rep)
    stuck = deal(customer, amount=1, stage=stages[2], entered=now - days(usual + 1))
    deal(customer, amount=1, stage=stages[2], entered=now - days(usual) + datetime.timedelta(minutes=5))
    deal(customer, amount=1, stage=stages[2], status=Status.LOST, closed_on=timezone.localdate(),
         entered=now - days(usual + 5))  # fmt: skip

    forecast = forecast_for(manager)

    assert row_of(forecast, rep).stuck == 1 and forecast.stuck_total == 1
    assert [d.pk for d in forecast.stuck_deals] == [stuck.pk]
    assert all(d.is_stuck() for d in forecast.stuck_deals)
    assert list(Opportunity.objects.past_usual_time()) == [stuck]


def test_win_rate_by_stage_counts_the_deals_that_got_as_far(manager, rep, stages):
    today = timezone.localdate()
    customer = held(rep)
    deal(customer, amount=1, stage=stages[3], status=Status.WON, closed_on=today,
         history=[stages[1], stages[2], stages[3]])  # fmt: skip
    deal(customer, amount=1, stage=stages[2], status=Status.LOST, closed_on=today, history=[stages[1], stages[2]])
    deal(customer, amount=1, stage=stages[1], status=Status.ABANDONED, closed_on=today, history=[stages[1]])
    # Jumped past stage 2 (a manager's override) and moved back: it still got as far as stage 3.
    deal(customer, amount=1, stage=stages[1], status=Status.LOST, closed_on=today,
         history=[stages[1], stages[3], stages[1]])  # fmt: skip
    deal(customer, amount=1, stage=stages[4], history=[stages[1], stages[4]])  # still open: not counted
    deal(customer, amount=1, stage=stages[2], status=Status.WON, closed_on=today - days(400),
         history=[stages[1], stages[2]])  # fmt: skip  # closed over a year ago

    rates = {rate.stage.order: (rate.reached, rate.won, rate.percent) for rate in forecast_for(manager).win_rates}

    assert rates[1] == (4, 1, 25)
    assert rates[2] == (3, 1, 33)
    assert rates[3] == (2, 1, 50)
    assert rates[4] == (0, 0, None)


def test_a_manager_sees_the_figures_of_their_teams_only(manager, rep, outsider):
    today = timezone.localdate()
    deal(held(outsider), amount=1_000, status=Status.WON, closed_on=today, probability=100)
    # A split with a rep of another team: the manager sees their own rep's share only.
    deal(held(rep, split_with=outsider, share=60), amount=1_000, status=Status.WON, closed_on=today, probability=100)

    forecast = forecast_for(manager)

    assert outsider not in [row.person for row in forecast.rows]
    assert forecast.total.month.won == Decimal(600)


def test_company_wide_the_rows_are_teams(admin_user, rep, outsider):
    today = timezone.localdate()
    deal(held(rep), amount=1_000, status=Status.WON, closed_on=today, probability=100)
    deal(held(outsider), amount=500, status=Status.WON, closed_on=today, probability=100)

    forecast = forecast_for(admin_user)

    assert {row.label: row.month.won for row in forecast.rows} == {
        rep.team.name: Decimal(1000),
        outsider.team.name: Decimal(500),
    }
    assert forecast.total.month.won == Decimal(1500)
    assert {row.team for row in forecast.rows} == {rep.team, outsider.team}


# --- setting targets ----------------------------------------------------------------------------------


def this_month():
    return Period.containing("month", timezone.localdate())


def test_a_manager_sets_and_replaces_a_target_with_its_trail(manager, rep):
    first = sales_target_set(actor=manager, rep=rep, period=this_month(), amount=Decimal(100))
    again = sales_target_set(actor=manager, rep=rep, period=this_month(), amount=Decimal(250))

    assert first.pk == again.pk
    again.refresh_from_db()
    assert (again.amount, again.previous_amount, again.set_by) == (Decimal(250), Decimal(100), manager)
    assert sales_target_set(actor=manager, rep=rep, period=this_month(), amount=None) is None
    assert not SalesTarget.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_setting_the_same_new_target_at_once_leave_one(manager, rep):
    admin = UserFactory(role="admin")
    amounts = iter([Decimal(100), Decimal(200)])
    actors = iter([manager, admin])

    results, errors = run_at_once(
        lambda: sales_target_set(actor=next(actors), rep=rep, period=this_month(), amount=next(amounts))
    )

    assert not errors and len(results) == 2
    target = SalesTarget.objects.get()
    assert {target.amount, target.previous_amount} == {Decimal(100), Decimal(200)}


def test_an_admin_sets_anyones_target(admin_user, outsider):
    sales_target_set(actor=admin_user, rep=outsider, period=this_month(), amount=Decimal(5))
    assert SalesTarget.objects.get().set_by == admin_user


@pytest.mark.parametrize("who", ["rep_itself", "colleague", "other_manager", "own", "departed_manager"])
def test_who_may_not_set_a_target(who, manager, rep, colleague, outsider):
    actor, target_rep = {
        "rep_itself": (rep, rep),
        "colleague": (colleague, rep),
        "other_manager": (outsider.team.manager, rep),
        "own": (manager, manager),
        "departed_manager": (manager, rep),
    }[who]
    if who == "departed_manager":
        manager.departed_at = timezone.now()
        manager.save(update_fields=["departed_at"])
    with pytest.raises(PermissionDenied):
        sales_target_set(actor=actor, rep=target_rep, period=this_month(), amount=Decimal(1))
    assert not SalesTarget.objects.exists()


def test_a_target_covers_a_whole_period(manager, rep):
    with pytest.raises(ValidationError):
        sales_target_set(actor=manager, rep=rep, period=Period("quarter", datetime.date(2029, 2, 1)), amount=1)
    assert not SalesTarget.objects.exists()


def test_the_grid_form_reads_amounts_as_people_type_them(rep):
    periods = [this_month()]
    name = SalesTargetGridForm.field_name(rep.pk, periods[0].key)
    form = SalesTargetGridForm({name: "1,200,000"}, reps=[rep], periods=periods, targets={})
    assert form.is_valid() and form.changes() == [(rep, periods[0], Decimal(1_200_000))]
    for bad in ("-5", "abc", "1" * 20, "1.234"):
        assert not SalesTargetGridForm({name: bad}, reps=[rep], periods=periods, targets={}).is_valid(), bad


# --- the pages ----------------------------------------------------------------------------------------


def test_the_forecast_page_shows_the_managers_reps(manager_client, manager, rep, outsider):
    deal(held(rep), amount=80_000, status=Status.WON, closed_on=timezone.localdate(), probability=100)

    response = manager_client.get(FORECAST)

    assert response.status_code == 200
    assert [row.person for row in response.context["forecast"].rows if row.person.role == "rep"] == [rep]
    assert "¥80,000" in response.content.decode()


def test_an_admin_sees_the_company_by_team_and_sets_anyones_targets(admin_client, rep, outsider):
    deal(held(outsider), amount=500, status=Status.WON, closed_on=timezone.localdate(), probability=100)

    response = admin_client.get(FORECAST)

    assert response.status_code == 200
    assert {row.team for row in response.context["forecast"].rows} == {rep.team, outsider.team}
    name = SalesTargetGridForm.field_name(outsider.pk, this_month().key)
    assert admin_client.post(TARGETS, {name: "8000"}).status_code == 302
    assert SalesTarget.objects.get().rep == outsider


def test_reps_may_not_open_the_forecast_or_the_targets(rep_client):
    assert rep_client.get(FORECAST).status_code == 403
    assert rep_client.get(TARGETS).status_code == 403
    assert rep_client.post(TARGETS, {}).status_code == 403


def test_another_teams_board_is_not_found(client, outsider, team):
    client.force_login(outsider.team.manager)
    assert client.get(FORECAST, {"team": team.pk}).status_code == 404
    assert client.get(TARGETS, {"team": team.pk}).status_code == 404


def test_the_targets_page_offers_the_managers_reps_only(manager_client, manager, rep, colleague, outsider):
    response = manager_client.get(TARGETS)

    assert response.status_code == 200
    assert [rep for rep, _ in response.context["form"].grid()] == sorted(
        [rep, colleague], key=lambda u: (u.last_name, u.first_name, u.username)
    )


def test_a_manager_saves_targets_from_the_grid(manager_client, manager, rep):
    month = this_month()
    name = SalesTargetGridForm.field_name(rep.pk, month.key)

    response = manager_client.post(TARGETS, {name: "300000"})

    assert response.status_code == 302 and response["Location"] == FORECAST
    target = SalesTarget.objects.get()
    assert (target.rep, target.period, target.amount, target.set_by) == (rep, month, Decimal(300_000), manager)


def test_a_refused_grid_keeps_what_was_typed_and_saves_nothing(manager_client, rep, colleague):
    month = this_month()
    good, bad = (SalesTargetGridForm.field_name(person.pk, month.key) for person in (rep, colleague))

    response = manager_client.post(TARGETS, {good: "300000", bad: "三十万"})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="300000"' in page and 'value="三十万"' in page
    assert not SalesTarget.objects.exists()


def test_a_posted_box_for_someone_else_is_ignored(manager_client, outsider):
    name = SalesTargetGridForm.field_name(outsider.pk, this_month().key)
    manager_client.post(TARGETS, {name: "5"})
    assert not SalesTarget.objects.exists()


def test_the_board_links_to_the_forecast_and_the_stuck_deals_to_the_pipeline(manager_client, rep, stages):
    stuck = deal(held(rep), amount=1, stage=stages[2], entered=timezone.now() - days(stages[2].usual_days + 3))

    assert FORECAST in manager_client.get(reverse("board:board")).content.decode()
    link = f"{reverse('deals:pipeline')}?past_usual=on&amp;owner={rep.pk}"
    assert link in manager_client.get(FORECAST).content.decode()

    pipeline = manager_client.get(reverse("deals:pipeline"), {"past_usual": "on", "owner": rep.pk})
    cards = [card for column in pipeline.context["columns"] for card in column.cards]
    assert [card.pk for card in cards] == [stuck.pk]


def test_the_forecast_page_in_chinese(manager_client, rep):
    manager_client.cookies["django_language"] = "zh-hans"
    response = manager_client.get(FORECAST, headers={"accept-language": "zh-hans"})
    assert response.status_code == 200


# Session, user, 4 navigation badges; teams, people, the stages, targets, the stuck list; on PostgreSQL the kept
# tallies, open deals per rep and what splits move; on SQLite the two credit legs, stuck per rep and the win rate.
FORECAST_QUERIES = 14 if connection.vendor == "postgresql" else 15
# Session, user, 4 badges; teams, the reps, their targets.
TARGET_QUERIES = 9


def populate(reps, per_rep, stages):
    today = timezone.localdate()
    for n, person in enumerate(reps):
        SalesTarget.objects.create(rep=person, kind="month", starts_on=this_month().starts_on, amount=n + 1,
                                   set_by=reps[0])  # fmt: skip
        for k in range(per_rep):
            customer = held(person, split_with=reps[(n + 1) % len(reps)] if k % 2 else None)
            deal(customer, amount=1_000 + k, probability=30, closes=today, stage=stages[1 + k % 5],
                 entered=timezone.now() - days(k * 20), history=[stages[1], stages[1 + k % 5]])  # fmt: skip
            deal(customer, amount=2_000, status=Status.WON if k % 3 else Status.LOST, closed_on=today,
                 probability=100, history=[stages[1], stages[2]])  # fmt: skip


@pytest.mark.parametrize("size", [1, 10])
def test_forecast_and_targets_query_counts_are_fixed(
    django_assert_num_queries, manager_client, team, rep, stages, size
):
    reps = [rep, *UserFactory.create_batch(size // 3 + 1, team=team)]
    populate(reps, size, stages)
    with django_assert_num_queries(FORECAST_QUERIES):
        assert manager_client.get(FORECAST).status_code == 200
    with django_assert_num_queries(TARGET_QUERIES):
        assert manager_client.get(TARGETS).status_code == 200
