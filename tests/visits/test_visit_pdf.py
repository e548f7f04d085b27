import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from crm.models import BuyingRole
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from visits.models import Objection, ObjectionKind, Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def own(rep):
    return CustomerFactory(name="青岛杰航机械有限公司", owner=rep, grade="A")


@pytest.fixture
def visit(rep, own):
    started = timezone.now() - datetime.timedelta(hours=2)
    visit = Visit.objects.create(
        customer=own,
        author=rep,
        method="onsite",
        started_at=started,
        ended_at=started + datetime.timedelta(minutes=90),
        purpose="Present the five-axis machining centre",
        discussion="Walked the workshop with the production manager.\nThey run two shifts.",
        needs="Raise output, budget under 500k",
        commitments="Send workshop dimensions by 20 March",
        next_step="Send the energy test report",
        next_step_due=timezone.localdate() + datetime.timedelta(days=1),
        next_step_owner=rep,
        help_needed="Technical dept: draft installation plan",
    )
    visit.contacts.add(
        ContactFactory(customer=own, name="王建国", title="采购经理", buying_role=BuyingRole.DECISION_MAKER)
    )
    Objection.objects.create(visit=visit, kind=ObjectionKind.PRICE, text="Worried about energy costs")
    return visit


def pdf_text(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    return "".join("".join(page.extract_text().split()) for page in pages)  # table cells wrap lines


def squeezed(text):
    return "".join(text.split())


def test_visit_pdf_is_the_follow_up_record(rep_client, visit):
    response = rep_client.get(reverse("visits:visit_pdf", args=[visit.pk]))
    assert f'filename="visit-{visit.pk}.pdf"' in response["Content-Disposition"]
    text = pdf_text(response)
    for expected in (
        "Customer follow-up record",
        "青岛杰航机械有限公司",
        "王建国",
        "采购经理",
        visit.discussion,
        "Worried about energy costs",
        "Send workshop dimensions by 20 March",
        "Technical dept: draft installation plan",
    ):
        assert squeezed(expected) in text
    assert "Loggedlate" not in text


def test_visit_pdf_in_chinese(rep_client, rep, own):
    visit = Visit.objects.create(customer=own, author=rep, started_at=timezone.now(), discussion="客户要五轴加工中心")
    Objection.objects.create(visit=visit, kind=ObjectionKind.CAPABILITY, text="担心设备能耗太高")
    response = rep_client.get(reverse("visits:visit_pdf", args=[visit.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = pdf_text(response)
    assert "青岛杰航机械有限公司" in text
    assert "客户要五轴加工中心" in text
    assert "担心设备能耗太高" in text


def test_late_visit_is_marked(rep_client, rep, own):
    visit = Visit.objects.create(
        customer=own, author=rep, started_at=timezone.now() - datetime.timedelta(days=2), discussion="x"
    )
    assert visit.is_late
    assert "Loggedlate" in pdf_text(rep_client.get(reverse("visits:visit_pdf", args=[visit.pk])))


def test_user_text_is_escaped(rep_client, rep, own):
    visit = Visit.objects.create(customer=own, author=rep, started_at=timezone.now(), discussion="<b>bold</b> claim")
    assert "<b>bold</b>claim" in pdf_text(rep_client.get(reverse("visits:visit_pdf", args=[visit.pk])))


def test_manager_of_the_team_may_print(manager_client, visit):
    assert "青岛杰航机械有限公司" in pdf_text(manager_client.get(reverse("visits:visit_pdf", args=[visit.pk])))


def test_rep_of_another_team_gets_404(client, visit):
    client.force_login(UserFactory(role="rep", team=TeamFactory()))
    assert client.get(reverse("visits:visit_pdf", args=[visit.pk])).status_code == 404


def test_timeline_links_each_visit_to_its_record(rep_client, visit):
    response = rep_client.get(reverse("crm:customer_detail", args=[visit.customer_id]))
    assert reverse("visits:visit_pdf", args=[visit.pk]) in response.content.decode()
