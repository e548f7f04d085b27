import datetime

import pytest
from django.utils import timezone

from crm.deals.models import Opportunity, Stage
from crm.deals.services import opportunity_create
from tests.factories import ContactFactory, CustomerFactory


@pytest.fixture
def stages(db):
    """The six default stages, as the data migration seeds them."""
    return {stage.order: stage for stage in Stage.objects.in_use()}


@pytest.fixture
def own(rep):
    return CustomerFactory(owner=rep)


def open_deal(actor, customer, **fields):
    values = {"title": "两台立式加工中心", "expected_close_on": timezone.localdate() + datetime.timedelta(days=60)}
    return opportunity_create(opportunity=Opportunity(customer=customer, **{**values, **fields}), actor=actor)


@pytest.fixture
def deal(rep, own, stages):
    return open_deal(rep, own)


@pytest.fixture
def gatekeeper(own):
    return ContactFactory(customer=own, name="刘工", buying_role="technical")
