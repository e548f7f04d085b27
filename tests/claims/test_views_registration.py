import pytest
from django.urls import reverse

from claims.models import Claim, Dispute, EventKind
from crm.models import Customer
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("claims:register")


def form_data(**fields):
    return {
        "name": "潍坊新客户机械有限公司",
        "phones": "0536-1234567",
        "need": "五轴加工中心",
        "relationship_level": "ordinary",
        "status": "prospect",
        **fields,
    }


@pytest.fixture
def other_rep(db):
    return UserFactory(role="rep", team=TeamFactory())


class TestRegister:
    def test_form_requires_name_phone_and_need(self, rep_client):
        response = rep_client.post(URL, {"relationship_level": "ordinary", "status": "prospect", "notes": "met"})
        assert response.status_code == 200
        assert set(response.context["form"].errors) >= {"name", "phones", "need"}
        assert not Customer.objects.exists()

    def test_created_claims_it_for_the_rep(self, rep_client, rep, policy):
        response = rep_client.post(URL, form_data())
        customer = Customer.objects.get()
        assert response["Location"] == reverse("crm:customer_detail", args=[customer.pk])
        assert customer.owner == rep
        assert Claim.objects.active().get(customer=customer).holder == rep
        assert customer.ownership_events.get().kind == EventKind.REGISTERED

    def test_similar_keeps_the_input_then_confirmed_creates(self, rep_client, rep, other_rep):
        CustomerFactory(name="潍坊新客户精密机械有限公司", owner=other_rep, phones="0536-7777777")
        response = rep_client.post(URL, form_data(notes="met at CIMT"))
        assert response.status_code == 200
        assert response.context["outcome"] == "similar"
        page = response.content.decode()
        assert 'name="confirmed_new"' in page
        assert "潍坊新客户精密机械有限公司" in page and str(other_rep) in page and "similar name" in page
        assert "met at CIMT" in page and "潍坊新客户机械有限公司" in page
        assert "0536-7777777" not in page
        assert Customer.objects.count() == 1

        response = rep_client.post(URL, form_data(notes="met at CIMT", confirmed_new="1"))
        assert response.status_code == 302
        assert Customer.objects.get(name="潍坊新客户机械有限公司").owner == rep

    def test_pool_offers_a_claim(self, rep_client):
        pooled = CustomerFactory(name="潍坊新客户机械有限公司", owner=None)
        response = rep_client.post(URL, form_data())
        assert response.status_code == 200
        assert response.context["outcome"] == "pool"
        assert reverse("claims:claim", args=[pooled.pk]) in response.content.decode()
        assert Customer.objects.count() == 1

    def test_pool_offers_no_claim_to_an_admin(self, admin_client):
        pooled = CustomerFactory(name="潍坊新客户机械有限公司", owner=None)
        response = admin_client.post(URL, form_data())
        assert response.context["outcome"] == "pool"
        assert reverse("claims:claim", args=[pooled.pk]) not in response.content.decode()

    def test_own_says_so_and_goes_to_the_card(self, rep_client, rep):
        own = CustomerFactory(name="潍坊新客户机械股份有限公司", owner=rep)
        response = rep_client.post(URL, form_data(), follow=True)
        assert response.redirect_chain[-1][0] == reverse("crm:customer_detail", args=[own.pk])
        assert "You already hold this customer." in response.content.decode()
        assert Customer.objects.count() == 1

    def test_visible_to_a_manager_goes_to_the_card(self, manager_client, rep):
        held = CustomerFactory(name="潍坊新客户机械有限公司", owner=rep)
        response = manager_client.post(URL, form_data())
        assert response["Location"] == reverse("crm:customer_detail", args=[held.pk])
        assert Customer.objects.count() == 1 and not Dispute.objects.exists()

    def test_collision_creates_nothing_and_opens_a_dispute(self, rep_client, rep, other_rep, policy):
        held = CustomerFactory(owner=other_rep, phones="0536-1234567", name="完全不同的名字有限公司")
        response = rep_client.post(URL, form_data())
        assert response.status_code == 200
        dispute = Dispute.objects.get()
        assert (dispute.customer, dispute.holder, dispute.challenger) == (held, other_rep, rep)
        assert Customer.objects.count() == 1
        held.refresh_from_db()
        assert held.owner == other_rep
        page = response.content.decode()
        assert f"Collision: {other_rep} holds" in page
        assert reverse("claims:dispute_detail", args=[dispute.pk]) in page
        assert "0536-1234567" not in page.replace('value="0536-1234567"', "")

    def test_registered_credit_code_goes_to_the_duplicate_check(self, rep_client, rep, other_rep):
        held = CustomerFactory(owner=other_rep, name="别的名字有限公司", credit_code="91350100M000100Y43")
        rep_client.post(URL, form_data(credit_code="91350100M000100Y43"))
        assert Dispute.objects.get().customer == held

    def test_bad_credit_code_is_a_form_error(self, rep_client):
        response = rep_client.post(URL, form_data(credit_code="91350100M000100Y44", notes="met at CIMT"))
        assert response.status_code == 200
        page = response.content.decode()
        assert "check digit" in page and "met at CIMT" in page
        assert not Customer.objects.exists()

    def test_referral_with_introducer_goes_to_the_introducers_rep(self, manager_client, manager, rep):
        CustomerFactory(name="青岛老客户有限公司", owner=rep)
        response = manager_client.post(
            URL, form_data(referred_by="青岛老客户有限公司", introducer_came_along="on", source="referral")
        )
        assert response.status_code == 302
        customer = Customer.objects.get(name="潍坊新客户机械有限公司")
        assert customer.owner == rep and "Referred by" in customer.ownership_events.get().reason_display

    def test_prefilled_from_the_duplicate_check(self, rep_client):
        response = rep_client.get(URL, {"q": "潍坊某某公司", "phone": "0536-1"})
        assert response.context["form"].initial == {"name": "潍坊某某公司", "phones": "0536-1"}

    def test_customer_list_links_here(self, rep_client):
        page = rep_client.get(reverse("crm:customer_list")).content.decode()
        assert URL in page and reverse("claims:duplicate_check") in page


class TestDuplicateCheck:
    def test_shows_owner_but_no_contact_details(self, rep_client, other_rep):
        foreign = CustomerFactory(
            name="济南别人家机械有限公司", owner=other_rep, phones="0531-5555555", credit_code="91350100M000100Y43"
        )
        response = rep_client.get(reverse("claims:duplicate_check"), {"q": "济南别人家机械"})
        page = response.content.decode()
        assert foreign.name in page and str(other_rep) in page and "same name" in page
        assert "5555555" not in page and "91350100M000100Y43" not in page
        # The phone menu always has its Register item: the page itself offers no registration.
        body = page.split("<main", 1)[1]
        assert response.context["same_found"] and reverse("claims:register") not in body
        assert reverse("crm:customer_detail", args=[foreign.pk]) not in page

    def test_finds_by_phone(self, rep_client, other_rep):
        CustomerFactory(name="济南别人家机械有限公司", owner=other_rep, phones="0531-5555555")
        response = rep_client.get(reverse("claims:duplicate_check"), {"phone": "0531 5555555"})
        assert [row["reasons"] for row in response.context["matches"]] == [["same phone"]]

    def test_pool_match_links_the_card_and_offers_a_claim(self, rep_client):
        pooled = CustomerFactory(name="济南池中机械有限公司", owner=None, pool_reason="lapsed")
        page = rep_client.get(reverse("claims:duplicate_check"), {"q": "济南池中机械"}).content.decode()
        assert reverse("crm:customer_detail", args=[pooled.pk]) in page
        assert reverse("claims:claim", args=[pooled.pk]) in page
        assert "Protection lapsed" in page and "Shared pool" in page

    def test_admin_sees_links_but_may_not_claim(self, admin_client):
        pooled = CustomerFactory(name="济南池中机械有限公司", owner=None)
        page = admin_client.get(reverse("claims:duplicate_check"), {"q": "济南池中机械"}).content.decode()
        assert reverse("crm:customer_detail", args=[pooled.pk]) in page
        assert reverse("claims:claim", args=[pooled.pk]) not in page

    def test_nothing_found_invites_registration(self, rep_client):
        response = rep_client.get(reverse("claims:duplicate_check"), {"q": "无人知晓有限公司"})
        assert response.context["matches"] == []
        page = response.content.decode()
        assert 'data-testid="no-match"' in page and reverse("claims:register") + "?q=" in page

    def test_empty_form_runs_no_check(self, rep_client):
        assert rep_client.get(reverse("claims:duplicate_check")).context["matches"] is None
