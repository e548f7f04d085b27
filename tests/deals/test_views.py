import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.deals.models import CloseReason, Opportunity, OpportunityLine, Participant, Purchase, Status
from crm.deals.services import opportunity_part_save
from crm.models import Customer
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from visits.models import Visit

from .conftest import open_deal

pytestmark = pytest.mark.django_db

PIPELINE = reverse("deals:pipeline")


def detail(deal):
    return reverse("deals:detail", args=[deal.pk])


def content(response):
    return response.content.decode()


def add_line(deal, actor, price=Decimal(450_000), quantity=2):
    opportunity_part_save(
        part=OpportunityLine(opportunity=deal, product="立式加工中心", model="VMC850", quantity=quantity,
                             unit_price=price),
        actor=actor,
    )  # fmt: skip


@pytest.fixture
def foreign(stages):
    stranger = UserFactory(team=TeamFactory())
    return open_deal(stranger, CustomerFactory(name="济南别人家有限公司", owner=stranger), title="别人的五轴")


class TestCreate:
    def test_from_the_customer_card(self, rep_client, rep, own, stages):
        card = rep_client.get(reverse("crm:customer_detail", args=[own.pk]))
        assert reverse("deals:create", args=[own.pk]) in content(card)
        due = timezone.localdate() + datetime.timedelta(days=90)
        response = rep_client.post(
            reverse("deals:create", args=[own.pk]),
            {"title": "三台卧式加工中心", "expected_close_on": due.isoformat(), "next_step_owner": rep.pk},
        )
        deal = Opportunity.objects.get()
        assert response.status_code == 302 and response["Location"] == detail(deal)
        assert (deal.customer, deal.stage, deal.probability) == (own, stages[1], 10)
        card = rep_client.get(reverse("crm:customer_detail", args=[own.pk]))
        assert "三台卧式加工中心" in content(card)

    def test_errors_stay_on_the_form(self, rep_client, own, stages):
        response = rep_client.post(reverse("deals:create", args=[own.pk]), {"title": "", "next_step": "报价"})
        assert response.status_code == 200 and not Opportunity.objects.exists()
        assert response.context["form"].errors.keys() >= {"title", "expected_close_on", "next_step_due"}


class TestVisibility:
    def test_another_reps_deal_is_not_found(self, rep_client, foreign):
        for name in ("detail", "edit"):
            assert rep_client.get(reverse(f"deals:{name}", args=[foreign.pk])).status_code == 404
        for name in ("move", "win", "lose", "abandon", "line_add", "person_add", "competitor_add"):
            assert rep_client.post(reverse(f"deals:{name}", args=[foreign.pk])).status_code == 404
        assert rep_client.get(reverse("deals:create", args=[foreign.customer.pk])).status_code == 404
        assert "别人的五轴" not in content(rep_client.get(PIPELINE))

    def test_the_manager_sees_the_teams_deals(self, manager_client, deal, foreign):
        page = content(manager_client.get(PIPELINE))
        assert deal.title in page and "别人的五轴" not in page
        assert manager_client.get(detail(deal)).status_code == 200


class TestMoving:
    def test_refused_with_the_missing_list_then_moved(self, rep_client, rep, deal, stages, gatekeeper):
        deal.need_confirmed = True
        deal.save()
        response = rep_client.post(reverse("deals:move", args=[deal.pk]), {"to_stage": stages[3].pk})
        assert response.status_code == 400
        missing = response.context["missing"]
        assert [str(label) for label in missing] == ["A technical gatekeeper is named"]
        assert "A technical gatekeeper is named" in content(response)
        rep_client.post(reverse("deals:person_add", args=[deal.pk]), {"person-contact": gatekeeper.pk,
                                                                     "person-role": "technical"})  # fmt: skip
        assert Participant.objects.filter(opportunity=deal, role="technical").exists()
        response = rep_client.post(reverse("deals:move", args=[deal.pk]), {"to_stage": stages[3].pk})
        assert response.status_code == 302
        deal.refresh_from_db()
        assert deal.stage == stages[3]

    def test_a_manager_overrides_with_a_reason(self, manager_client, deal, stages):
        response = manager_client.post(reverse("deals:move", args=[deal.pk]), {"to_stage": stages[2].pk})
        assert response.status_code == 400 and "reason" in response.context["move_form"].errors
        response = manager_client.post(
            reverse("deals:move", args=[deal.pk]), {"to_stage": stages[2].pk, "reason": "客户总经理已口头立项"}
        )
        assert response.status_code == 302
        assert "客户总经理已口头立项" in content(manager_client.get(detail(deal)))

    def test_moved_from_the_pipeline_goes_back_there(self, rep_client, rep, deal, stages):
        deal.need_confirmed = True
        deal.save()
        response = rep_client.post(
            reverse("deals:move", args=[deal.pk]), {"to_stage": stages[2].pk, "next": f"{PIPELINE}?stage="}
        )
        assert response.status_code == 302 and response["Location"] == f"{PIPELINE}?stage="


class TestClosing:
    def test_won_from_the_page(self, rep_client, rep, deal):
        add_line(deal, rep)
        reason = CloseReason.objects.filter(outcome="won").first()
        response = rep_client.post(reverse("deals:win", args=[deal.pk]), {"win-close_reason": reason.pk})
        assert response.status_code == 302
        deal.refresh_from_db()
        assert deal.status == Status.WON and Purchase.objects.get().amount == Decimal(900_000)
        page = content(rep_client.get(detail(deal)))
        assert 'data-testid="move-form"' not in page  # a closed deal has no actions

    def test_lost_asks_for_the_reason(self, rep_client, deal):
        response = rep_client.post(reverse("deals:lose", args=[deal.pk]), {"lose-won_by": "海天"})
        assert response.status_code == 400 and "close_reason" in response.context["lose_form"].errors
        deal.refresh_from_db()
        assert deal.status == Status.OPEN


class TestPipeline:
    def test_columns_totals_and_cards(self, rep_client, rep, own, stages, gatekeeper):
        first = open_deal(rep, own, title="甲")
        add_line(first, rep, Decimal(100_000), 1)
        second = open_deal(rep, own, title="乙", probability=50)
        add_line(second, rep, Decimal(300_000), 1)
        Participant.objects.create(opportunity=second, contact=gatekeeper, role="technical")
        response = rep_client.get(PIPELINE)
        column = response.context["columns"][0]
        assert column.count == 2 and column.total == Decimal(400_000)
        assert column.weighted == Decimal(160_000)  # 10% of 100,000 + 50% of 300,000
        cards = {card.title: card for card in column.cards}
        assert "Technical gatekeeper" not in [str(role) for role in cards["乙"].missing_roles]
        assert len(cards["甲"].missing_roles) == 4

    def test_filters(self, rep_client, rep, own, stages):
        soon = open_deal(rep, own, title="本月", expected_close_on=datetime.date(2027, 3, 10))
        add_line(soon, rep, Decimal(2_000_000), 1)
        open_deal(rep, own, title="明年", expected_close_on=datetime.date(2028, 1, 10))
        Opportunity.objects.filter(pk=soon.pk).update(stage_entered_at=timezone.now() - datetime.timedelta(days=40))

        def titles(query):
            response = rep_client.get(PIPELINE, query)
            assert response.status_code == 200
            return {card.title for column in response.context["columns"] for card in column.cards}

        assert titles({"close_month": "2027-03"}) == {"本月"}
        assert titles({"amount_min": "1000000"}) == {"本月"}
        assert titles({"stuck": "30"}) == {"本月"}
        assert titles({"stage": stages[1].pk}) == {"本月", "明年"}
        assert titles({"customer": own.pk}) == {"本月", "明年"}
        assert titles({"customer": CustomerFactory(owner=rep).pk}) == set()
        refused = rep_client.get(PIPELINE, {"close_month": "garbage"})
        assert "close_month" in refused.context["filter"].errors  # said on the open filter form, and not applied

    def test_query_counts_do_not_grow(self, manager_client, manager, rep, stages):
        def make(count):
            for index in range(count):
                customer = CustomerFactory(owner=rep)
                contact = ContactFactory(customer=customer)
                deal = open_deal(rep, customer, title=f"机会{index}")
                add_line(deal, rep)
                Participant.objects.create(opportunity=deal, contact=contact, role="coach")
                Visit.objects.create(customer=customer, author=rep, started_at=timezone.now(), discussion="谈方案",
                                     deal=deal)  # fmt: skip
            return deal

        def counted(url):
            with CaptureQueriesContext(connection) as queries:
                assert manager_client.get(url).status_code == 200
            return len(queries)

        deal = make(2)
        manager_client.get(reverse("crm:customer_detail", args=[deal.customer.pk]))  # content types, cached once
        small = (
            counted(PIPELINE),
            counted(detail(deal)),
            counted(reverse("crm:customer_detail", args=[deal.customer.pk])),
        )
        deal = make(8)
        for index in range(3):
            add_line(deal, rep)
            Visit.objects.create(
                customer=deal.customer, author=rep, started_at=timezone.now(), discussion=f"第{index}次", deal=deal
            )
        large = (
            counted(PIPELINE),
            counted(detail(deal)),
            counted(reverse("crm:customer_detail", args=[deal.customer.pk])),
        )
        assert small == large


@pytest.mark.parametrize("who", ["manager", "rep"])
def test_pipeline_statements_do_not_grow_with_the_deals(client, request, who, rep, manager, stages):
    """Unfiltered (kept totals), by stage (one long column), by holder, team, close month, amount and days in the
    stage (counted totals): as many statements with a few deals as with more than a column shows, pool and
    other teams' deals included."""
    stranger = UserFactory(team=TeamFactory())
    close_on = timezone.localdate() + datetime.timedelta(days=60)

    def make(count):
        for index in range(count):
            owner = (rep, rep, rep, None, stranger)[index % 5]
            customer = CustomerFactory(owner=owner or rep)
            deal = open_deal(owner or rep, customer, title=f"机会{index}", stage=stages[1 + index % 2])
            add_line(deal, owner or rep)
            Participant.objects.create(opportunity=deal, contact=ContactFactory(customer=customer), role="coach")
            if owner is None:
                Customer.objects.filter(pk=customer.pk).update(owner=None)

    queries = [
        {},
        {"stage": stages[1].pk},
        {"owner": rep.pk},
        {"close_month": f"{close_on:%Y-%m}"},
        {"amount_min": "1", "amount_max": "99000000", "stuck": "0"},
        *([{"team": rep.team_id}] if who == "manager" else []),
    ]
    client.force_login(request.getfixturevalue(who))

    def counted():
        counts = []
        for query in queries:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(PIPELINE, query)
            assert response.status_code == 200 and not response.context["filter"].errors
            counts.append(len(captured))
        return counts

    make(5)
    client.get(PIPELINE)  # what is cached once per process
    small = counted()
    make(45)
    large = counted()
    assert small == large
    page = client.get(PIPELINE)
    first = page.context["columns"][0]
    assert f'href="?stage={stages[1].pk}" data-testid="column-more"' in content(page)  # the rest, one stage alone
    alone = client.get(PIPELINE, {"stage": stages[1].pk}).context["columns"][0]
    assert (len(first.cards), first.more) == (12, first.count - 12)  # the totals count every deal in the column
    assert len(alone.cards) == alone.count > 12  # one stage alone shows more


def test_visits_about_the_deal_show_on_its_page(rep_client, rep, deal):
    Visit.objects.create(
        customer=deal.customer, author=rep, started_at=timezone.now(), discussion="技术交流会", deal=deal
    )
    assert "技术交流会" in content(rep_client.get(detail(deal)))


def test_pool_customers_have_no_new_deal_button(rep_client, stages):
    pool = CustomerFactory(owner=None)
    assert reverse("deals:create", args=[pool.pk]) not in content(
        rep_client.get(reverse("crm:customer_detail", args=[pool.pk]))
    )
    assert rep_client.get(reverse("deals:create", args=[pool.pk])).status_code == 403
    assert Customer.objects.filter(pk=pool.pk).exists()


class TestVisitAboutADeal:
    def form(self, deal, **fields):
        return {
            "method": "onsite",
            "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "discussion": "技术交流，客户认可方案",
            "deal": deal.pk,
            **fields,
        }

    def test_offered_only_while_the_customer_has_open_deals(self, rep_client, rep, own, stages):
        url = reverse("visits:visit_create", args=[own.pk])
        assert 'name="deal"' not in content(rep_client.get(url))
        deal = open_deal(rep, own)
        page = content(rep_client.get(url))
        assert 'name="deal"' in page and deal.title in page and 'name="deal_stage"' in page

    def test_the_next_step_moves_the_deal(self, rep_client, rep, deal, stages):
        deal.need_confirmed = True
        deal.save()
        response = rep_client.post(
            reverse("visits:visit_create", args=[deal.customer.pk]), self.form(deal, deal_stage=stages[2].pk)
        )
        assert response.status_code == 302
        visit = Visit.objects.get()
        assert visit.deal == deal
        deal.refresh_from_db()
        assert deal.stage == stages[2]

    def test_a_refused_move_keeps_the_visit_and_says_why(self, rep_client, rep, deal, stages):
        response = rep_client.post(
            reverse("visits:visit_create", args=[deal.customer.pk]), self.form(deal, deal_stage=stages[3].pk),
            follow=True,
        )  # fmt: skip
        assert Visit.objects.get().deal == deal
        deal.refresh_from_db()
        assert deal.stage == stages[1]
        assert "A technical gatekeeper is named" in content(response)

    def test_another_customers_deal_is_refused(self, rep_client, rep, own, deal, stages):
        other = CustomerFactory(owner=rep)
        open_deal(rep, other, title="另一家的机会")
        response = rep_client.post(reverse("visits:visit_create", args=[other.pk]), self.form(deal))
        assert response.status_code == 200 and "deal" in response.context["form"].errors
        assert not Visit.objects.exists()
