"""Deals through the API: the deal form's rules, the services' refusals and the pages' visibility."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.deals.models import CloseReason, Opportunity, OpportunityLine, Participant, Stage, StageChange, Status
from crm.deals.services import opportunity_create, opportunity_part_save
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

CLOSE_ON = (timezone.localdate() + datetime.timedelta(days=60)).isoformat()


def open_deal(rep, customer, lines=0):
    deal = opportunity_create(
        opportunity=Opportunity(customer=customer, title="两台立式加工中心", expected_close_on=CLOSE_ON), actor=rep
    )
    for i in range(lines):
        opportunity_part_save(
            part=OpportunityLine(opportunity=deal, product=f"加工中心{i}", model="VMC850", unit_price=350_000),
            actor=rep,
        )
    return deal


def test_a_deal_opened_on_a_customer_follows_the_form(rep, bearer):
    customer = CustomerFactory(owner=rep)
    client = bearer(rep)
    url = f"/api/v1/customers/{customer.pk}/deals/"
    assert "expected_close_on" in client.post(url, {"title": "加工中心"}, format="json").json()["errors"]
    refused = client.post(url, {"title": "加工中心", "expected_close_on": CLOSE_ON, "next_step": "报价"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["next_step_due"]  # the form's own rule

    answer = client.post(url, {"title": "两台立式加工中心", "expected_close_on": CLOSE_ON}, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["stage"]["order"] == 1 and body["status"] == "open" and body["next_step_owner"]["id"] == rep.pk
    assert body["history"][0]["to_stage"]["order"] == 1
    assert client.get(url).json()["results"][0]["id"] == body["id"]


def test_a_forward_move_lists_what_is_missing(rep, manager, bearer):
    deal = open_deal(rep, CustomerFactory(owner=rep))
    proposal = Stage.objects.get(order=3)
    answer = bearer(rep).post(f"/api/v1/deals/{deal.pk}/move/", {"to_stage": proposal.pk}, format="json")
    assert answer.status_code == 409
    assert answer["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "requirements_missing"
    assert problem["missing"] == ["need_confirmed", "technical_gatekeeper"] and problem["may_override"] is False
    deal.refresh_from_db()
    assert deal.stage.order == 1

    # The rep meets them and moves on; the manager moves past what a later stage needs, with a reason.
    contact = ContactFactory(customer=deal.customer, name="刘工")
    opportunity_part_save(part=Participant(opportunity=deal, contact=contact, role="technical"), actor=rep)
    moved = bearer(rep).patch(f"/api/v1/deals/{deal.pk}/", {"need_confirmed": True}, format="json")
    assert moved.status_code == 200 and moved.json()["need_confirmed"] is True
    assert (
        bearer(rep)
        .post(f"/api/v1/deals/{deal.pk}/move/", {"to_stage": proposal.pk}, format="json")
        .json()["stage"]["order"]
        == 3
    )
    tender = Stage.objects.get(order=4)
    as_manager = bearer(manager)
    refused = as_manager.post(f"/api/v1/deals/{deal.pk}/move/", {"to_stage": tender.pk}, format="json").json()
    assert refused["missing"] == ["decision_maker", "coach"] and refused["may_override"] is True
    passed = as_manager.post(f"/api/v1/deals/{deal.pk}/move/", {"to_stage": tender.pk, "reason": "老客户，已口头确认"},
                             format="json")  # fmt: skip
    assert passed.status_code == 200
    assert passed.json()["history"][-1]["passed_over"] == ["decision_maker", "coach"]
    assert StageChange.objects.filter(opportunity=deal).last().reason == "老客户，已口头确认"


def test_winning_feeds_the_customers_purchases(rep, bearer):
    customer = CustomerFactory(owner=rep, annual_purchases=0)
    deal = open_deal(rep, customer, lines=2)
    answer = bearer(rep).post(f"/api/v1/deals/{deal.pk}/win/", {"note": "签约"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["status"] == Status.WON
    customer.refresh_from_db()
    assert customer.annual_purchases == 700_000 and customer.status == "active"
    again = bearer(rep).post(f"/api/v1/deals/{deal.pk}/lose/", {}, format="json")
    assert again.status_code == 400  # closed, and no reason


def test_losing_needs_a_reason_as_the_page(rep, bearer):
    deal = open_deal(rep, CustomerFactory(owner=rep))
    client = bearer(rep)
    assert "close_reason" in client.post(f"/api/v1/deals/{deal.pk}/lose/", {}, format="json").json()["errors"]
    price = CloseReason.objects.get(outcome="lost", order=1)
    lost = client.post(f"/api/v1/deals/{deal.pk}/lose/", {"close_reason": price.pk, "won_by": "德马吉"}, format="json")
    assert lost.status_code == 200 and lost.json()["won_by"] == "德马吉" and lost.json()["status"] == "lost"


def test_another_reps_deal_is_not_found(rep, other_rep, bearer):
    deal = open_deal(rep, CustomerFactory(owner=rep), lines=1)
    stranger = bearer(other_rep)
    for method, path in [
        ("get", ""), ("patch", ""), ("post", "move/"), ("post", "win/"), ("post", "lose/"), ("post", "abandon/"),
    ]:  # fmt: skip
        assert getattr(stranger, method)(f"/api/v1/deals/{deal.pk}/{path}", {}, format="json").status_code == 404
    assert stranger.post(f"/api/v1/customers/{deal.customer_id}/deals/", {}, format="json").status_code == 404
    assert stranger.get("/api/v1/deals/").json()["results"] == []
    deal.refresh_from_db()
    assert deal.status == Status.OPEN


def test_deal_lists_read_a_fixed_number_of_queries(rep, bearer):
    customer = CustomerFactory(owner=rep)
    client = bearer(rep)
    urls = ["/api/v1/deals/", f"/api/v1/customers/{customer.pk}/deals/"]

    def grow(n):
        for _ in range(n):
            deal = open_deal(rep, customer, lines=2)
            contact = ContactFactory(customer=customer)
            opportunity_part_save(part=Participant(opportunity=deal, contact=contact, role="coach"), actor=rep)

    def counts():
        found = []
        for url in [*urls, f"/api/v1/deals/{Opportunity.objects.latest('pk').pk}/"]:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200, url
            found.append(len(captured))
        return found

    grow(2)
    few = counts()
    grow(5)
    assert counts() == few
