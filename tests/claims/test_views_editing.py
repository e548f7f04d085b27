"""Editing a customer runs the registration's duplicate check on what the edit adds: a rep cannot register a
harmless name and then edit it into a colleague's customer."""

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.models import Dispute, DisputeKind, OwnershipEvent
from claims.services import customer_edit
from crm.formatting import date_time
from crm.models import Customer, CustomerPhone
from crm.validators import credit_code_complete
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

CODE = credit_code_complete("91370200MA3C8K2X")


@pytest.fixture
def colleague(rep):
    return UserFactory(role="rep", team=rep.team)


@pytest.fixture
def theirs(colleague, policy):
    """A colleague's customer, under protection."""
    return CustomerFactory(name="青岛杰航机械有限公司", phones="0532-88886666", credit_code=CODE, owner=colleague)


@pytest.fixture
def harmless(rep, register):
    """What the rep registered first: a name no one holds."""
    return register(rep, "潍坊无关贸易有限公司", phones="0536-1234567").customer


def edit_data(customer, **fields):
    return {
        "name": customer.name,
        "phones": customer.phones,
        "need": customer.need,
        "credit_code": customer.credit_code,
        "relationship_level": "ordinary",
        "status": "prospect",
        "notes": "在展会上认识",
        **fields,
    }


def edit(client, customer, **fields):
    return client.post(reverse("crm:customer_update", args=[customer.pk]), edit_data(customer, **fields))


def stored(customer):
    return Customer.objects.values_list("name", "phones", "credit_code", "notes").get(pk=customer.pk)


class TestColleaguesCustomer:
    @pytest.mark.parametrize(
        "fields",
        [
            {"name": "青岛杰航机械有限公司", "phones": "0532-88886666"},
            {"name": "青岛杰航机械股份有限公司"},  # the same name, as the check normalizes it
            {"phones": "0536-1234567, 0532 8888 6666"},  # a phone added beside the rep's own
            {"credit_code": CODE.lower()},
        ],
        ids=["name and phone", "name", "phone", "credit code"],
    )
    def test_the_edit_is_refused_as_a_collision_and_nothing_typed_is_lost(
        self, rep_client, rep, colleague, theirs, harmless, fields
    ):
        before = stored(harmless)
        response = edit(rep_client, harmless, **fields)
        assert response.status_code == 200
        assert response.context["outcome"] == "collision"
        page = response.content.decode()
        assert f"Collision: {colleague} holds “青岛杰航机械有限公司” under protection." in page
        assert "在展会上认识" in page and all(value in page for value in fields.values() if value != CODE.lower())
        assert stored(harmless) == before, "nothing of the edit was saved"
        assert set(CustomerPhone.objects.filter(customer=harmless).values_list("number", flat=True)) == {"05361234567"}
        # As at registration, a dispute opens with what was typed; the holder keeps the customer meanwhile.
        dispute = Dispute.objects.get()
        assert (dispute.customer, dispute.holder, dispute.challenger) == (theirs, colleague, rep)
        assert dispute.kind == DisputeKind.COLLISION and dispute.attempt["edit_of"] == harmless.pk
        assert reverse("claims:dispute_detail", args=[dispute.pk]) in page
        assert Customer.objects.get(pk=theirs.pk).owner == colleague

    def test_the_dispute_shows_the_decider_it_came_from_an_edit(self, client, manager, rep, theirs, harmless):
        client.force_login(rep)
        edit(client, harmless, name="青岛杰航机械有限公司")
        client.force_login(manager)
        page = client.get(reverse("claims:dispute_detail", args=[Dispute.objects.get().pk])).content.decode()
        registered = date_time(harmless.created_at)
        assert "By editing" in page and f"their customer registered {registered}" in page

    def test_another_teams_customer_too(self, rep_client, harmless, policy):
        stranger = UserFactory(role="rep", team=TeamFactory())
        CustomerFactory(name="济南恒锐机床有限公司", owner=stranger)
        response = edit(rep_client, harmless, name="济南恒锐机床有限公司")
        assert response.context["outcome"] == "collision"
        assert Dispute.objects.get().holder == stranger
        assert stored(harmless)[0] == "潍坊无关贸易有限公司"

    def test_a_manager_is_refused_the_same_way_and_may_not_merge(self, client, manager, rep, theirs, harmless):
        client.force_login(manager)
        response = edit(client, harmless, name="青岛杰航机械有限公司")
        assert response.status_code == 200 and response.context["outcome"] == "visible"
        assert f"“青岛杰航机械有限公司” is already registered: {theirs.owner} holds it." in response.content.decode()
        assert stored(harmless)[0] == "潍坊无关贸易有限公司"
        assert not Dispute.objects.exists()  # the manager decides disputes; they do not open one by editing

    def test_the_service_refuses_whoever_calls_it(self, rep, theirs, harmless):
        harmless.phones = "0532-88886666"
        assert customer_edit(customer=harmless, actor=rep).outcome == "collision"
        assert stored(harmless)[1] == "0536-1234567"


class TestPoolAndOwn:
    def test_a_customer_in_the_pool_is_offered_for_claiming(self, rep_client, harmless):
        pooled = CustomerFactory(name="烟台远航精密机械", owner=None, pool_since=timezone.now())
        response = edit(rep_client, harmless, name="烟台远航精密机械有限公司")
        assert response.status_code == 200 and response.context["outcome"] == "pool"
        page = response.content.decode()
        assert reverse("claims:claim", args=[pooled.pk]) in page and 'data-testid="in-pool"' in page
        assert stored(harmless)[0] == "潍坊无关贸易有限公司"
        assert not Dispute.objects.exists()

    def test_another_record_the_rep_holds_is_not_doubled(self, rep_client, rep, harmless):
        mine = CustomerFactory(name="日照港机有限公司", owner=rep)
        response = edit(rep_client, harmless, name="日照港机有限公司")
        assert response.context["outcome"] == "own"
        assert reverse("crm:customer_detail", args=[mine.pk]) in response.content.decode()
        assert stored(harmless)[0] == "潍坊无关贸易有限公司"


class TestWhatIsNotChecked:
    def test_an_edit_that_adds_no_key_saves_even_beside_an_old_duplicate(self, rep_client, rep, colleague, policy):
        """Records that share a phone from before the check (an import, a legacy list) stay editable."""
        CustomerFactory(name="青岛老客户甲有限公司", phones="0532-80000001", owner=colleague)
        mine = CustomerFactory(name="青岛老客户乙有限公司", phones="0532-80000001", owner=rep, need="x")
        response = edit(rep_client, mine, notes="回访过", name="青岛老客户乙 有限公司", phones="0532 8000 0001")
        assert response.status_code == 302
        assert stored(mine)[3] == "回访过"

    def test_the_customers_own_keys_are_not_a_match(self, rep_client, harmless):
        response = edit(rep_client, harmless, name="潍坊无关贸易股份有限公司", credit_code=CODE)
        assert response.status_code == 302
        assert stored(harmless)[:3] == ("潍坊无关贸易股份有限公司", "0536-1234567", CODE)

    def test_a_similar_name_asks_first_then_saves(self, rep_client, colleague, harmless, theirs):
        response = edit(rep_client, harmless, name="青岛杰航精密机械有限公司")
        assert response.context["outcome"] == "similar"
        assert 'name="confirmed_new"' in response.content.decode()
        assert stored(harmless)[0] == "潍坊无关贸易有限公司"
        response = edit(rep_client, harmless, name="青岛杰航精密机械有限公司", confirmed_new="1")
        assert response.status_code == 302
        assert stored(harmless)[0] == "青岛杰航精密机械有限公司"
        assert not Dispute.objects.exists() and not OwnershipEvent.objects.filter(customer=theirs).exists()


def test_the_admin_site_does_not_change_the_duplicate_checks_keys(admin_client, rep, theirs, harmless):
    """The admin site has no duplicate check: there the name, group, phones and credit code are read-only."""
    response = admin_client.post(
        reverse("admin:crm_customer_change", args=[harmless.pk]),
        {
            "name": theirs.name, "phones": theirs.phones, "credit_code": CODE, "relationship_level": "ordinary",
            "status": "prospect", "grade": "C", "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
            "grade_changes-TOTAL_FORMS": "0", "grade_changes-INITIAL_FORMS": "1",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored(harmless)[:3] == ("潍坊无关贸易有限公司", "0536-1234567", "")
