"""A visit is about a deal of its own customer: the service, the page and the API refuse another's, saving nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm.deals.models import Opportunity
from crm.deals.services import opportunity_create
from tests.factories import CustomerFactory
from visits.models import Method, Reminder, Visit
from visits.services import visit_record

pytestmark = pytest.mark.django_db

FOREIGN_DEAL = "This deal belongs to another customer"


def open_deal(actor, customer, title):
    close_on = timezone.localdate() + datetime.timedelta(days=60)
    return opportunity_create(
        opportunity=Opportunity(customer=customer, title=title, expected_close_on=close_on), actor=actor
    )


@pytest.fixture
def customers(rep):
    return CustomerFactory(owner=rep, name="青岛甲机械有限公司"), CustomerFactory(owner=rep, name="青岛乙机械有限公司")


def test_visit_record_refuses_another_customers_deal_and_saves_nothing(rep, customers):
    mine, other = customers
    theirs = open_deal(rep, other, "乙的五轴")
    visit = Visit(
        customer=mine, method=Method.PHONE, started_at=timezone.now(), discussion="谈了需求", deal=theirs,
        next_step="寄样", next_step_due=timezone.localdate() + datetime.timedelta(days=3),
    )  # fmt: skip
    with pytest.raises(ValidationError) as refusal:
        visit_record(visit=visit, actor=rep)
    assert FOREIGN_DEAL in str(refusal.value.message_dict["deal"])
    assert not Visit.objects.exists()
    assert not Reminder.objects.exists()
    mine.refresh_from_db()
    assert mine.last_contact_on is None


def test_visit_record_accepts_the_customers_own_deal(rep, customers):
    mine, _other = customers
    own = open_deal(rep, mine, "甲的加工中心")
    visit = Visit(customer=mine, method=Method.PHONE, started_at=timezone.now(), discussion="谈了需求", deal=own)
    assert visit_record(visit=visit, actor=rep).visit.deal == own


def test_the_form_refuses_another_customers_deal_and_keeps_what_was_typed(rep_client, rep, customers):
    mine, other = customers
    open_deal(rep, mine, "甲的加工中心")
    theirs = open_deal(rep, other, "乙的五轴")
    response = rep_client.post(
        reverse("visits:visit_create", args=[mine.pk]),
        {"method": "onsite", "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
         "discussion": "技术交流，客户认可方案", "needs": "三个月内安装", "deal": theirs.pk},
    )  # fmt: skip
    assert response.status_code == 200
    assert "deal" in response.context["form"].errors
    page = response.content.decode()
    assert "技术交流，客户认可方案" in page and "三个月内安装" in page
    assert "乙的五轴" not in page  # another customer's deal is never offered
    assert not Visit.objects.exists()
