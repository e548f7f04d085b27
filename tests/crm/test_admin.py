import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer, GradeChange
from crm.services import customer_save
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name",
    ["crm_customer_changelist", "crm_contact_changelist", "crm_graderule_changelist", "crm_gradechange_changelist"],
)
def test_admin_lists_load(admin_client, url_name):
    assert admin_client.get(reverse(f"admin:{url_name}"), {"q": "青岛"}).status_code == 200


def test_grade_history_cannot_be_edited_or_deleted_in_admin(admin_client, admin_user):
    customer = customer_save(customer=Customer(name="青岛历史有限公司"), actor=admin_user)
    change = GradeChange.objects.get(customer=customer)
    url = reverse("admin:crm_gradechange_change", args=[change.pk])
    admin_client.post(url, {"reason": "rewritten", "to_grade": "A"})
    assert (
        admin_client.post(reverse("admin:crm_gradechange_delete", args=[change.pk]), {"post": "yes"}).status_code == 403
    )
    change.refresh_from_db()
    assert change.reason != "rewritten"


def test_customer_edited_in_admin_follows_grade_rules(admin_client, admin_user):
    customer = customer_save(customer=Customer(name="青岛后台有限公司"), actor=admin_user)
    response = admin_client.post(
        reverse("admin:crm_customer_change", args=[customer.pk]),
        {
            "name": customer.name, "annual_purchases": "2000000", "relationship_level": "ordinary",
            "status": "prospect", "grade": "C", "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
            "grade_changes-TOTAL_FORMS": "0", "grade_changes-INITIAL_FORMS": "1",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    customer.refresh_from_db()
    assert customer.grade == "A"
    assert customer.grade_changes.first().to_grade == "A"


def test_deleting_a_complainant_in_admin_keeps_their_name_on_the_complaint(admin_client, admin_user):
    import datetime

    from django.utils import timezone

    from crm.complaints.models import Complaint
    from crm.complaints.services import complaint_record
    from tests.factories import ContactFactory, CustomerFactory, UserFactory

    rep = UserFactory()
    contact = ContactFactory(customer=CustomerFactory(owner=rep), name="王采购")
    complaint = complaint_record(
        complaint=Complaint(customer=contact.customer, complainant=contact, description="交货晚了两周",
                            category="delivery_delay", received_at=timezone.now() - datetime.timedelta(hours=1)),
        actor=rep,
    )  # fmt: skip
    response = admin_client.post(reverse("admin:crm_contact_delete", args=[contact.pk]), {"post": "yes"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.complainant, complaint.complainant_name) == (None, "王采购")


@pytest.mark.parametrize("url_name", ["admin:crm_customer_changelist", "admin:complaints_complaint_changelist"])
def test_the_long_admin_lists_make_as_many_statements_at_ten_times_the_data(
    django_assert_max_num_queries, admin_client, admin_user, url_name
):
    from crm.complaints.models import Complaint

    def grow(count):
        for customer in CustomerFactory.create_batch(count):
            Complaint.objects.create(
                customer=customer,
                complainant_name="李",
                description="迟到",
                category="other",
                respond_by=timezone.now(),
                assignee=admin_user,
                created_by=admin_user,
            )

    grow(3)
    with django_assert_max_num_queries(50) as small:
        admin_client.get(reverse(url_name))
    statements = len(small.captured_queries)  # read now: the next request empties the log it is read from
    grow(30)
    with django_assert_max_num_queries(statements) as large:
        admin_client.get(reverse(url_name))
    assert len(large.captured_queries) == statements


@pytest.mark.postgres
def test_the_admin_paginator_counts_a_short_list_and_estimates_a_long_one(monkeypatch):
    from django.db import connection

    from crm import paging

    CustomerFactory.create_batch(12)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_customer")
    assert paging.EstimatingPaginator(Customer.objects.order_by("pk"), 5).count == 12
    monkeypatch.setattr(paging, "COUNT_EXACT_UP_TO", 5)
    estimated = paging.EstimatingPaginator(Customer.objects.order_by("pk"), 5).count
    assert estimated > 5 and estimated == paging.rounded(estimated)
