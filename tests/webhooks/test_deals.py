"""The deals app's events: a won deal and a lost one are announced once, signed, with the README's payload."""

import datetime
import json

import pytest
from django.utils import timezone

from crm.deals.models import CloseReason, Opportunity, OpportunityLine
from crm.deals.services import (
    opportunity_abandon,
    opportunity_create,
    opportunity_lose,
    opportunity_part_save,
    opportunity_win,
)
from crm.webhooks.models import Delivery, Event
from crm.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(rep):
    customer = CustomerFactory(owner=rep, name="青岛杰航机械有限公司")
    deal = opportunity_create(
        opportunity=Opportunity(customer=customer, title="两台五轴加工中心",
                                expected_close_on=timezone.localdate() + datetime.timedelta(days=30)),
        actor=rep,
    )  # fmt: skip
    opportunity_part_save(part=OpportunityLine(opportunity=deal, product="五轴加工中心", quantity=2,
                                               unit_price=1_800_000), actor=rep)  # fmt: skip
    return deal


def test_winning_a_deal_sends_one_signed_delivery(endpoint, receiver, rep, deal, django_capture_on_commit_callbacks):
    reason = CloseReason.objects.get(outcome="won", order=1)
    with django_capture_on_commit_callbacks(execute=True):
        opportunity_win(opportunity=deal, actor=rep, reason=reason, note="签约")
    (post,) = [post for post in receiver.posts if post["headers"][EVENT_HEADER] == "deal.won"]
    assert post["signed"]
    delivery = Delivery.objects.get(event=Event.DEAL_WON)
    assert post["headers"][DELIVERY_HEADER] == str(delivery.id) and receiver.accepted == {str(delivery.id): 1}
    data = json.loads(post["body"])["data"]
    assert data["customer"]["name"] == "青岛杰航机械有限公司" and data["customer"]["status"] == "active"
    won = data["deal"]
    assert (won["id"], won["status"], won["amount"], won["note"]) == (deal.pk, "won", "3600000.00", "签约")
    assert won["close_reason"] == {"id": reason.pk, "name": reason.name_en}
    assert won["closed_by"]["id"] == rep.pk and won["url"].endswith(f"/deals/{deal.pk}/")


def test_a_lost_deal_is_announced_and_an_abandoned_one_is_not(endpoint, rep, deal, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        opportunity_lose(opportunity=deal, actor=rep, reason=CloseReason.objects.get(outcome="lost", order=1),
                         won_by="德马吉")  # fmt: skip
    (lost,) = Delivery.objects.filter(event=Event.DEAL_LOST)
    body = json.loads(lost.body)["data"]
    assert (body["deal"]["status"], body["deal"]["won_by"]) == ("lost", "德马吉")
    other = opportunity_create(
        opportunity=Opportunity(customer=deal.customer, title="一台车床", expected_close_on=timezone.localdate()),
        actor=rep,
    )
    with django_capture_on_commit_callbacks(execute=False):
        opportunity_abandon(opportunity=other, actor=rep, note="客户取消")
    assert Delivery.objects.filter(event__in=[Event.DEAL_WON, Event.DEAL_LOST]).count() == 1
