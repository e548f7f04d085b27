"""The deal tallies kept by PostgreSQL triggers (crm/deals/tallies.py) equal a recount whatever changes, and the
forecast read from them equals the forecast counted from the deals."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from claims.board import forecast
from claims.board.services import board_scope
from claims.models import Claim
from crm.deals import tallies
from crm.deals.models import (
    CloseReason,
    DealTally,
    Opportunity,
    OpportunityLine,
    Period,
    PeriodKind,
    Stage,
    StageChange,
)
from crm.deals.services import opportunity_lose, opportunity_move, opportunity_part_save, opportunity_win
from crm.models import Customer
from tests.factories import CustomerFactory, UserFactory

from .conftest import open_deal

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def kept():
    return {
        (row.owner_id, row.kind, row.day, row.stage_id): (row.count, row.won, row.amount)
        for row in DealTally.objects.exclude(count=0)
    }


def recounted():
    with connection.cursor() as cursor:
        cursor.execute(tallies.RECOUNT)
        return {
            (owner, kind, day, stage): (count, won, amount) for owner, kind, day, stage, count, won, amount in cursor
        }


def furthest_from_history():
    """Each deal's highest-ordered stage in its history, counted."""
    best = {}
    for change in StageChange.objects.select_related("to_stage"):
        current = best.get(change.opportunity_id)
        if current is None or change.to_stage.order > current.order:
            best[change.opportunity_id] = change.to_stage
    return {deal.pk: deal.furthest_stage_id for deal in Opportunity.objects.all()} == {
        pk: (best[pk].pk if pk in best else None) for pk in Opportunity.objects.values_list("pk", flat=True)
    }


def add_line(deal, actor, price):
    part = OpportunityLine(opportunity=deal, product="立式加工中心", model="VMC850", quantity=1, unit_price=price)
    opportunity_part_save(part=part, actor=actor)


def random_changes(chance, manager, people, customers, stages, steps, check=None):
    """A reproducible sequence of what the services and the sweeps do to deals and holders."""
    lost = CloseReason.objects.filter(outcome="lost").first()
    deals = []
    today = timezone.localdate()
    for step in range(steps):
        action = chance.choice(["create", "line", "move", "hands", "close", "dates", "bulk"])
        open_deals = [deal for deal in deals if deal.status == "open"]
        if action == "create" or not open_deals:
            customer = chance.choice(customers)
            if not Customer.objects.filter(pk=customer.pk, owner__isnull=False).exists():
                Customer.objects.filter(pk=customer.pk).update(owner=people[0])  # a pool customer is claimed first
            customer.refresh_from_db()
            closes = today + datetime.timedelta(days=chance.randrange(-20, 120))
            deals.append(
                open_deal(manager, customer, probability=chance.choice([10, 35, 50]), expected_close_on=closes)
            )
        elif action == "line":
            add_line(chance.choice(open_deals), manager, Decimal(chance.randrange(1, 90)) * 10_000 + Decimal("0.55"))
        elif action == "move":
            opportunity_move(opportunity=chance.choice(open_deals), to_stage=chance.choice(list(stages.values())),
                             actor=manager, reason="跳过")  # fmt: skip
        elif action == "hands":
            Customer.objects.filter(pk=chance.choice(customers).pk).update(owner=chance.choice([*people, None]))
        elif action == "close":
            deal = chance.choice(open_deals)
            if deal.customer.owner_id is None:
                Customer.objects.filter(pk=deal.customer_id).update(owner=people[0])
            deal = Opportunity.objects.get(pk=deal.pk)
            if deal.amount and chance.random() < 0.5:
                opportunity_win(opportunity=deal, actor=manager)
            else:
                opportunity_lose(opportunity=deal, actor=manager, reason=lost)
        elif action == "dates":  # an import or an admin moving the days a deal is counted by
            deal = chance.choice(open_deals)
            back = datetime.timedelta(days=chance.randrange(0, 70), hours=chance.randrange(24))
            Opportunity.objects.filter(pk=deal.pk).update(
                stage_entered_at=timezone.now() - back,
                expected_close_on=today + datetime.timedelta(days=chance.randrange(-40, 200)),
            )
        else:  # one statement changing many rows: the lapse sweep's kind of UPDATE
            Customer.objects.filter(pk__in=[c.pk for c in chance.sample(customers, 3)]).update(owner=None)
            Opportunity.objects.filter(status="open").update(probability=chance.choice([20, 60]))
        deals = [Opportunity.objects.select_related("customer").get(pk=deal.pk) for deal in deals]
        if check:
            check(step, action)
    return deals


def test_tallies_equal_a_recount_after_random_changes(manager, rep, stages):
    colleague = UserFactory(role="rep", team=rep.team)
    chance = random.Random(21)  # noqa: S311 (a reproducible sequence, not a secret)
    customers = [CustomerFactory(owner=chance.choice([rep, colleague])) for _ in range(6)]

    pooled, kinds = [], set()

    def check(step, action):
        assert kept() == recounted(), f"after step {step}: {action}"
        assert furthest_from_history(), f"after step {step}: {action}"
        # The pool's deals are in nobody's forecast: none tallied, so a lapse only takes its holder's rows away.
        assert not DealTally.objects.filter(owner=None).exists(), f"after step {step}: {action}"
        pooled.append(Opportunity.objects.filter(customer__owner=None).exists())
        kinds.update(kind for _owner, kind, _day, _stage in kept())

    deals = random_changes(chance, manager, [rep, colleague], customers, stages, 70, check)
    assert any(pooled)  # the sequence put deals in the pool

    assert kinds == {"entered", "expected", "closed"}  # the sequence reached every kind
    assert any(deal.status == "won" for deal in deals) and any(deal.status == "lost" for deal in deals)


def test_history_written_after_the_deal_raises_its_furthest_stage_only(rep, own, stages):
    """Imports and the scale seed write a closed deal first and its history after: its tally follows."""
    deal = Opportunity.objects.create(
        customer=own, title="导入", stage=stages[2], probability=100, status="won", amount=Decimal(300_000),
        expected_close_on=timezone.localdate(), closed_on=timezone.localdate(), created_by=rep,
    )  # fmt: skip
    month = timezone.localdate().replace(day=1)
    assert kept() == {(rep.pk, "closed", month, None): (1, 1, Decimal(300_000))}

    StageChange.objects.bulk_create(
        [StageChange(opportunity=deal, actor=rep, to_stage=stages[order]) for order in (1, 4, 2)]
    )
    StageChange.objects.create(opportunity=deal, actor=rep, to_stage=stages[3])  # lower: changes nothing

    deal.refresh_from_db()
    assert deal.furthest_stage == stages[4]
    assert kept() == recounted() == {(rep.pk, "closed", month, stages[4].pk): (1, 1, Decimal(300_000))}


def test_a_stage_entry_is_tallied_on_its_local_day(rep, own, stages):
    """23:30 in Shanghai is 15:30 UTC the same day, 00:30 is the day before in UTC: the local day counts."""
    shanghai = timezone.get_default_timezone()
    late = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=shanghai)
    early = datetime.datetime(2026, 12, 1, 0, 30, tzinfo=shanghai)
    for entered in (late, early):
        Opportunity.objects.create(
            customer=own, title="夜间", stage=stages[1], probability=10, amount=Decimal(1),
            expected_close_on=datetime.date(2027, 1, 15), created_by=rep, stage_entered_at=entered,
        )  # fmt: skip
    entered = {key[2]: value[0] for key, value in kept().items() if key[1] == "entered"}
    assert entered == {datetime.date(2026, 11, 30): 1, datetime.date(2026, 12, 1): 1}


@pytest.mark.clock
def test_the_forecast_from_the_tallies_equals_the_forecast_counted(admin_user, manager, rep, stages):
    """Splits, stuck deals either side of their usual days and the win rate: the kept figures and the counted
    ones agree for a team and company-wide, at any hour (the `clock` instants stand beside local midnight)."""
    colleague = UserFactory(role="rep", team=rep.team)
    outsider = UserFactory(role="rep")
    chance = random.Random(7)  # noqa: S311 (a reproducible sequence, not a secret)
    customers = [CustomerFactory(owner=chance.choice([rep, colleague, outsider])) for _ in range(8)]
    random_changes(chance, admin_user, [rep, colleague, outsider], customers, stages, 40)
    today = timezone.localdate()
    for customer in Customer.objects.filter(pk__in=[c.pk for c in customers[:3]], owner__isnull=False):
        Claim.objects.create(customer=customer, holder=customer.owner, renewed_on=today,
                             protected_until=today + datetime.timedelta(days=90), holder_share=70,
                             shared_with=outsider if customer.owner != outsider else rep)  # fmt: skip
    # Deals on each side of their stage's usual days, entered just after and just before a local midnight.
    usual = stages[2].usual_days
    midnight = timezone.make_aware(datetime.datetime.combine(today - datetime.timedelta(days=usual), datetime.time.min))
    for entered in (midnight - datetime.timedelta(minutes=1), midnight + datetime.timedelta(minutes=1)):
        deal = open_deal(admin_user, Customer.objects.filter(owner=rep).first() or CustomerFactory(owner=rep))
        Opportunity.objects.filter(pk=deal.pk).update(stage=stages[2], stage_entered_at=entered)

    now = timezone.now()
    month = Period.containing(PeriodKind.MONTH, today)
    quarter = Period.containing(PeriodKind.QUARTER, today)
    since = forecast.win_rate_since(today)
    all_stages = list(Stage.objects.order_by("order"))
    for user in (manager, admin_user):
        scope = board_scope(user, None)
        from_tallies = forecast._kept_figures(scope, month, quarter, since, today, all_stages)
        counted = forecast._counted_figures(scope, month, quarter, since, now)

        def credit(figures):
            return {
                person: {kind: [amount.quantize(Decimal("0.0001")) for amount in pair] for kind, pair in kinds.items()}
                for person, kinds in figures.credit.items()
                if any(any(pair) for pair in kinds.values())
            }

        assert credit(from_tallies) == credit(counted)
        assert {p: n for p, n in from_tallies.stuck.items() if n} == counted.stuck
        assert sorted(from_tallies.closed_by_furthest) == sorted(g for g in counted.closed_by_furthest if g[0])
    stuck = Opportunity.objects.past_usual_time()
    assert stuck.filter(stage_entered_at=midnight - datetime.timedelta(minutes=1)).exists()
    assert not stuck.filter(stage_entered_at=midnight + datetime.timedelta(minutes=1)).exists()
