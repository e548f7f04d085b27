"""A rep's shares of the credit: the list, and the card to read, nothing more (DOMAIN §5.7, visibility)."""

import re

import pytest
from django.urls import reverse

from claims.models import Claim
from claims.services import claim_transfer, dispute_decide
from crm.complaints.models import Complaint
from crm.complaints.services import complaint_record
from crm.models import Customer
from tests.factories import ContactFactory, TeamFactory, UserFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db

HOLDERS_NAME = "青岛杰航机械有限公司"


@pytest.fixture
def sharer():
    """A rep of another team, to whom an admin's decision gave 70 % of the rep's customer."""
    return UserFactory(team=TeamFactory(), last_name="张", first_name="伟")


@pytest.fixture
def shared(register, rep, sharer, admin_user):
    customer = register(rep, HOLDERS_NAME).customer
    dispute = register(sharer, "青岛杰航机械有限责任公司", phones="0532-87776666").dispute
    dispute_decide(dispute=dispute, actor=admin_user, outcome="split", reason="对方成交", holder_share=30)
    contact = ContactFactory(customer=customer, name="王工")
    Visit.objects.create(customer=customer, author=rep, started_at=dispute.opened_at, discussion="到厂演示五轴")
    complaint = Complaint(customer=customer, complainant=contact, description="主轴异响", category="quality")
    complaint_record(complaint=complaint, actor=rep)
    return Customer.objects.get(pk=customer.pk)


def card_url(customer):
    return reverse("claims:credit_share_card", args=[customer.pk])


def test_the_list_names_each_share_by_person_and_side(client, shared, sharer, rep):
    client.force_login(sharer)
    assert 'data-testid="credit-shares-link"' in client.get(reverse("crm:customer_list")).content.decode()
    page = client.get(reverse("claims:credit_shares")).content.decode()
    assert HOLDERS_NAME in page and f"{rep} (holder) 30 % · 张伟 (challenger) 70 %" in page
    assert card_url(shared) in page


def test_the_card_reads_and_offers_nothing(client, shared, sharer):
    client.force_login(sharer)
    response = client.get(card_url(shared))
    assert response.status_code == 200
    page = response.content.decode()
    assert HOLDERS_NAME in page and "王工" in page and "到厂演示五轴" in page and "主轴异响" in page
    assert 'data-testid="read-only"' in page
    for forbidden in (
        reverse("visits:visit_create", args=[shared.pk]),
        reverse("crm:customer_update", args=[shared.pk]),
        reverse("visits:snooze", args=[shared.pk]),
        reverse("crm:customer_dossier", args=[shared.pk]),
        reverse("crm:contact_create", args=[shared.pk]),
        reverse("complaints:create", args=[shared.pk]),
        reverse("claims:release", args=[shared.pk]),
        reverse("claims:transfer", args=[shared.pk]),
        reverse("claims:dispute_open", args=[shared.pk]),
        reverse("claims:claim", args=[shared.pk]),
    ):
        assert forbidden not in page, forbidden
    main = page.split("<main", 1)[1]
    assert not re.search(r'href="/(complaints|visits)/\d', main)  # no link into pages they may not open


def test_visibility_elsewhere_does_not_widen(client, shared, sharer):
    client.force_login(sharer)
    for url in (
        reverse("crm:customer_detail", args=[shared.pk]),
        reverse("crm:customer_update", args=[shared.pk]),
        reverse("crm:customer_dossier", args=[shared.pk]),
        reverse("visits:visit_create", args=[shared.pk]),
        reverse("complaints:create", args=[shared.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert HOLDERS_NAME not in client.get(reverse("crm:customer_list")).content.decode()
    response = client.post(reverse("visits:visit_create", args=[shared.pk]), {"discussion": "x"})
    assert response.status_code == 404 and Visit.objects.filter(author=sharer).count() == 0


def test_no_share_no_card(client, shared, rep):
    client.force_login(UserFactory(team=TeamFactory()))
    assert client.get(card_url(shared)).status_code == 404
    client.force_login(rep)  # the holder has the full card
    assert client.get(card_url(shared))["Location"] == reverse("crm:customer_detail", args=[shared.pk])


def test_the_share_ends_with_the_claim(client, shared, sharer, admin_user, rep):
    claim_transfer(customer=shared, actor=admin_user, to_user=UserFactory(team=rep.team), reason="客户要求换人")
    client.force_login(sharer)
    assert client.get(card_url(shared)).status_code == 404
    assert HOLDERS_NAME not in client.get(reverse("claims:credit_shares")).content.decode()


def test_query_count_is_constant(client, django_assert_num_queries, rep, sharer, shared):
    client.force_login(sharer)
    with django_assert_num_queries(6) as few:
        client.get(reverse("claims:credit_shares"))
    for n in range(10):
        customer = Customer.objects.create(name=f"青岛分成{n}号机床有限公司", owner=rep)
        Claim.objects.create(customer=customer, holder=rep, renewed_on=shared.created_at.date(),
                             protected_until=shared.created_at.date(), holder_share=40, shared_with=sharer)  # fmt: skip
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("claims:credit_shares"))
    assert len(response.context["claims"]) == 11
