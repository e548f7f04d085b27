import pytest
from django.urls import reverse

from crm.models import Notification, NotificationKind
from crm.services import notify
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_each_person_sees_their_own_and_can_mark_them_read(rep_client, rep):
    customer = CustomerFactory(owner=rep, name="青岛杰航机械有限公司")
    notify([rep, rep, None], kind=NotificationKind.CLAIM_LAPSED, customer=customer)
    notify([UserFactory()], kind=NotificationKind.DISPUTE_OPENED, detail="别人的争议")
    assert Notification.objects.filter(user=rep).count() == 1  # repeats and None skipped
    page = rep_client.get(reverse("notifications"))
    body = page.content.decode()
    assert "青岛杰航机械有限公司" in body and "别人的争议" not in body
    assert page.context["unread_notifications"] == 1
    rep_client.post(reverse("notifications"))
    assert not Notification.objects.filter(user=rep).unread().exists()
    assert rep_client.get(reverse("notifications")).context["unread_notifications"] == 0


def test_notification_page_queries_do_not_grow(rep_client, rep, django_assert_num_queries):
    def add(count):
        for _ in range(count):
            notify([rep], kind=NotificationKind.CLAIM_LAPSED, customer=CustomerFactory(owner=rep))

    add(1)
    with django_assert_num_queries(7) as small:
        rep_client.get(reverse("notifications"))
    add(10)
    with django_assert_num_queries(len(small.captured_queries)):
        rep_client.get(reverse("notifications"))
