import pytest
from django.urls import reverse
from django.utils import timezone

from crm.complaints.models import Complaint, State
from crm.evidence.services import attachment_delete, attachments_add
from tests.factories import CustomerFactory

from . import samples

pytestmark = pytest.mark.django_db


def complaint(customer, rep, state):
    return Complaint.objects.create(
        customer=customer, complainant_name="王建国", description="外箱破损", category="quality", assignee=rep,
        created_by=rep, respond_by=timezone.now(), state=state, resolution_actions="补发",
    )  # fmt: skip


def photos(record, rep, count):
    files = [samples.upload(f"{n}.jpg", samples.jpeg(size=(120, 90), gps=False)) for n in range(count)]
    return attachments_add(record=record, actor=rep, files=files).saved  # counted while the worker re-encodes


def test_the_board_card_counts_the_photos_of_open_complaints(manager_client, rep):
    customer = CustomerFactory(owner=rep, grade="A", next_follow_up_on=timezone.localdate())
    open_one = complaint(customer, rep, State.OPEN)
    photos(open_one, rep, 2)
    attachment_delete(attachment=photos(open_one, rep, 1)[0], actor=rep)  # removed: not counted
    photos(complaint(customer, rep, State.INVESTIGATING), rep, 1)
    photos(complaint(customer, rep, State.RESOLVED), rep, 1)  # settled: not counted
    attachments_add(record=open_one, actor=rep, files=[samples.upload("报告.pdf", samples.PDF)])  # not a photo

    response = manager_client.get(reverse("board:board"))
    card = response.context["columns"][0].cards[0]
    assert card.customer.open_complaint_photos == 3
    assert "3 complaint photos" in response.content.decode()
