"""A visit logged through the API is about a deal of its own customer only."""

import datetime

import pytest
from django.utils import timezone

from crm.deals.models import Opportunity
from crm.deals.services import opportunity_create
from tests.factories import CustomerFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db


def open_deal(actor, customer, title):
    close_on = timezone.localdate() + datetime.timedelta(days=60)
    return opportunity_create(
        opportunity=Opportunity(customer=customer, title=title, expected_close_on=close_on), actor=actor
    )


def test_the_api_refuses_another_customers_deal(rep, bearer):
    mine, other = CustomerFactory(owner=rep), CustomerFactory(owner=rep)
    own = open_deal(rep, mine, "甲的加工中心")
    theirs = open_deal(rep, other, "乙的五轴")
    client = bearer(rep)
    url = f"/api/v1/customers/{mine.pk}/visits/"
    visit = {"method": "phone", "started_at": timezone.now().isoformat(), "discussion": "谈了需求"}
    refused = client.post(url, {**visit, "deal": theirs.pk}, format="json")
    assert refused.status_code == 400 and "deal" in refused.json()["errors"]
    assert not Visit.objects.exists()
    answer = client.post(url, {**visit, "deal": own.pk}, format="json")
    assert answer.status_code == 201 and answer.json()["deal"] == own.pk
