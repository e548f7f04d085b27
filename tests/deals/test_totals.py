"""The pipeline totals kept by PostgreSQL triggers (crm/deals/totals.py) equal a recount, whatever changes."""

import random
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from crm.deals import totals
from crm.deals.models import CloseReason, Opportunity, OpportunityLine, PipelineTotal
from crm.deals.services import opportunity_lose, opportunity_move, opportunity_part_save, opportunity_win
from crm.models import Customer
from tests.factories import CustomerFactory, TeamFactory, UserFactory

from .conftest import open_deal

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the totals are kept by PostgreSQL triggers"),
]


def kept():
    return {
        (row.owner_id, row.stage_id): (row.count, row.amount, row.weighted)
        for row in PipelineTotal.objects.exclude(count=0)
    }


def recounted():
    with connection.cursor() as cursor:
        cursor.execute(totals.RECOUNT)
        return {(owner, stage): (count, amount, weighted) for owner, stage, count, amount, weighted in cursor}


def add_line(deal, actor, price):
    part = OpportunityLine(opportunity=deal, product="立式加工中心", model="VMC850", quantity=1, unit_price=price)
    opportunity_part_save(part=part, actor=actor)


def test_totals_equal_a_recount_after_random_changes(manager, rep, stages):
    chance = random.Random(19)  # noqa: S311 (a reproducible sequence, not a secret)
    colleague = UserFactory(role="rep", team=rep.team)
    people = [rep, colleague, None]
    customers = [CustomerFactory(owner=chance.choice([rep, colleague])) for _ in range(6)]
    lost = CloseReason.objects.filter(outcome="lost").first()
    deals = []
    for _step in range(60):
        action = chance.choice(["create", "line", "move", "hands", "close", "bulk"])
        open_deals = [deal for deal in deals if deal.status == "open"]
        if action == "create" or not open_deals:
            customer = chance.choice(customers)
            if not Customer.objects.filter(pk=customer.pk, owner__isnull=False).exists():
                Customer.objects.filter(pk=customer.pk).update(owner=rep)  # a pool customer is claimed first
            customer.refresh_from_db()
            deals.append(open_deal(manager, customer, probability=chance.choice([10, 35, 50])))
        elif action == "line":
            add_line(chance.choice(open_deals), manager, Decimal(chance.randrange(1, 90)) * 10_000 + Decimal("0.55"))
        elif action == "move":
            deal = chance.choice(open_deals)
            opportunity_move(opportunity=deal, to_stage=chance.choice(list(stages.values())), actor=manager,
                             reason="跳过")  # fmt: skip
        elif action == "hands":
            Customer.objects.filter(pk=chance.choice(customers).pk).update(owner=chance.choice(people))
        elif action == "close":
            deal = chance.choice(open_deals)
            if deal.customer.owner_id is None:
                Customer.objects.filter(pk=deal.customer_id).update(owner=rep)
            deal = Opportunity.objects.get(pk=deal.pk)
            if deal.amount and chance.random() < 0.5:
                opportunity_win(opportunity=deal, actor=manager)
            else:
                opportunity_lose(opportunity=deal, actor=manager, reason=lost)
        else:  # one statement changing many rows: the lapse sweep's kind of UPDATE
            Customer.objects.filter(pk__in=[c.pk for c in chance.sample(customers, 3)]).update(owner=None)
            Opportunity.objects.filter(status="open").update(probability=chance.choice([20, 60]))
        deals = [Opportunity.objects.select_related("customer").get(pk=deal.pk) for deal in deals]
        assert kept() == recounted(), f"after step {_step}: {action}"
    assert len(kept()) > 3  # the sequence reached several holders and stages


def test_a_deal_without_history_removed_leaves_the_totals(rep, own, stages):
    deal = Opportunity.objects.bulk_create(
        [
            Opportunity(
                customer=own,
                title="导入",
                stage=stages[1],
                probability=10,
                expected_close_on="2027-01-01",
                amount=Decimal(500_000),
                created_by=rep,
            )
        ]  # fmt: skip
    )[0]
    assert kept() == recounted() == {(rep.pk, stages[1].pk): (1, Decimal(500_000), Decimal(50_000))}
    Opportunity.objects.filter(pk=deal.pk).delete()
    assert kept() == recounted() == {}


@pytest.mark.parametrize("who", ["rep", "manager", "admin_user", "outsider"])
def test_the_pipeline_totals_equal_the_counted_ones(client, request, who, rep, manager, stages):
    """The kept totals answer the unfiltered pipeline, a filter on the amount makes it count the deals: for every
    role they agree, so PipelineTotal.visible_to is Customer.objects.visible_to spelled on the holder."""
    other_team = UserFactory(role="rep", team=TeamFactory())
    for owner, price in ((rep, 100_000), (manager, 250_000), (None, 40_000), (other_team, 700_000)):
        deal = open_deal(manager if owner in (rep, manager, None) else other_team,
                         CustomerFactory(owner=owner or rep), probability=35)  # fmt: skip
        add_line(deal, owner or rep, Decimal(price))
        if owner is None:
            Customer.objects.filter(pk=deal.customer_id).update(owner=None)
    user = other_team if who == "outsider" else request.getfixturevalue(who)
    client.force_login(user)

    def column_totals(query):
        response = client.get(reverse("deals:pipeline"), query)
        return [(c.stage.pk, c.count, c.total, c.weighted) for c in response.context["columns"]]

    assert column_totals({}) == column_totals({"amount_min": "0"})
    assert column_totals({"owner": rep.pk}) == column_totals({"owner": rep.pk, "amount_min": "0"})
