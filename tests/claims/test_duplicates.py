"""Similar names: closest first, said in words, and answerable ("it is this one")."""

import datetime
import types

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from claims import duplicates
from claims.duplicates import find_duplicates, trigram_similarity
from claims.models import Dispute
from crm.models import Customer, PoolReason
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

TYPED = "青岛杰航机械有限公司"  # normalized: 青岛杰航机械
# Closest first: one character added at the end, one inserted, two inserted (pg_trgm: 0.67, 0.5, 0.45).
CANDIDATES = ["青岛杰航机械厂", "青岛杰航重机械有限公司", "青岛杰航精密机械有限公司"]


@pytest.fixture
def colleague(rep):
    return UserFactory(role="rep", team=rep.team)


@pytest.fixture
def candidates(colleague):
    return [
        CustomerFactory(name=name, owner=colleague, phones=f"0532-7{index}00000", address="青岛市城阳区某路1号")
        for index, name in enumerate(CANDIDATES)
    ]


def names_and_labels(matches):
    return [(match.customer.name, [str(label) for label in match.reason_labels]) for match in matches]


EXPECTED = [
    ("青岛杰航机械厂", ["very similar name"]),
    ("青岛杰航重机械有限公司", ["similar name"]),
    ("青岛杰航精密机械有限公司", ["similar name"]),
]


class TestCloseness:
    def test_closest_first_in_words(self, candidates):
        assert names_and_labels(find_duplicates(name=TYPED)) == EXPECTED

    def test_the_fallback_without_postgresql_orders_the_same(self, candidates, monkeypatch):
        monkeypatch.setattr(duplicates, "connection", types.SimpleNamespace(vendor="sqlite"))
        assert names_and_labels(find_duplicates(name=TYPED)) == EXPECTED

    @pytest.mark.postgres
    @pytest.mark.parametrize(
        ("first", "second"),
        [("青岛杰航机械", "青岛杰航精密机械"), ("青岛杰航机械", "青岛恒锐机械"), ("青岛杰航机械", "青岛杰航机械厂"),
         ("qingdaojiehang", "qingdaojiehangjixie"), ("abc", "abcd"), ("杰航2号", "杰航3号")],
    )  # fmt: skip
    def test_the_fallback_scores_as_pg_trgm_does(self, first, second):
        with connection.cursor() as cursor:
            cursor.execute("SELECT similarity(%s, %s)", [first, second])
            expected = cursor.fetchone()[0]
        assert trigram_similarity(first, second) == pytest.approx(expected, abs=1e-6)


class TestItIsThisOne:
    def register(self, actor, *, same_as=None, name=TYPED):
        from claims.services import customer_register

        customer = Customer(name=name, phones="0532-1234567", need="五轴加工中心")
        return customer_register(customer=customer, actor=actor, same_as=same_as)

    def test_a_colleagues_customer_opens_the_collision(self, rep, colleague, candidates):
        assert self.register(rep).outcome == "similar"
        result = self.register(rep, same_as=candidates[1].pk)
        assert (result.outcome, result.customer) == ("collision", candidates[1])
        dispute = Dispute.objects.get()
        assert (dispute.holder, dispute.challenger, dispute.attempt["name"]) == (colleague, rep, TYPED)
        assert Customer.objects.count() == 3

    def test_the_reps_own_customer_opens_it(self, rep):
        own = CustomerFactory(name="青岛杰航机械厂", owner=rep)
        assert (self.register(rep, same_as=own.pk).outcome, Customer.objects.count()) == ("own", 1)

    def test_a_pool_customer_is_offered_for_claiming(self, rep):
        pooled = CustomerFactory(
            name="青岛杰航机械厂", owner=None, pool_reason=PoolReason.LAPSED,
            pool_since=timezone.now() - datetime.timedelta(days=3),
        )  # fmt: skip
        result = self.register(rep, same_as=pooled.pk)
        assert (result.outcome, result.customer) == ("pool", pooled)
        assert "you said it is this one" in [str(label) for label in result.matches[0].reason_labels]

    def test_only_a_customer_the_check_found_can_be_named(self, rep, colleague):
        unrelated = CustomerFactory(name="潍坊德隆轨道装备有限公司", owner=colleague)
        with pytest.raises(ValidationError, match="no longer matches"):
            self.register(rep, same_as=unrelated.pk)
        assert not Dispute.objects.exists() and Customer.objects.count() == 1


class TestContactsPhone:
    """A phone one of a customer's contacts has: asked about, never a verdict (people change employers)."""

    def test_it_is_asked_about_with_no_details(self, rep_client, colleague):
        held = CustomerFactory(name="淄博宏达阀门有限公司", owner=colleague, phones="0533-6000000")
        ContactFactory(customer=held, name="刘强", phones="138 0638 0000")
        response = rep_client.post(reverse("claims:register"), form_data(name="博山宏力铸造厂", phones="13806380000"))
        assert response.context["outcome"] == "similar"
        page = response.content.decode()
        assert f'name="same_as" value="{held.pk}"' in page and "a contact has this phone" in page
        assert "刘强" not in page and "0533-6000000" not in page
        assert Customer.objects.count() == 1

    def test_a_different_company_is_registered_once_the_rep_says_so(self, rep_client, rep, colleague):
        held = CustomerFactory(name="淄博宏达阀门有限公司", owner=colleague)
        ContactFactory(customer=held, phones="13806380000")
        response = rep_client.post(
            reverse("claims:register"), form_data(name="博山宏力铸造厂", phones="13806380000", confirmed_new="1")
        )
        assert response.status_code == 302
        assert Customer.objects.get(name="博山宏力铸造厂").owner == rep

    def test_the_same_number_on_the_customer_itself_stays_a_verdict(self, colleague):
        held = CustomerFactory(name="淄博宏达阀门有限公司", owner=colleague, phones="13806380000")
        ContactFactory(customer=held, phones="13806380000")
        [match] = find_duplicates(name="博山宏力铸造厂", phones="13806380000")
        assert match.is_strong and match.reasons == ["phone"]


def form_data(**fields):
    return {"name": TYPED, "phones": "0532-1234567", "need": "五轴加工中心", "notes": "展会上认识",
            "relationship_level": "ordinary", "status": "prospect", **fields}  # fmt: skip


class TestRegistrationPage:
    def test_each_similar_name_can_be_answered_and_shows_no_details(self, rep_client, colleague, candidates):
        response = rep_client.post(reverse("claims:register"), form_data())
        assert response.context["outcome"] == "similar"
        page = response.content.decode()
        for candidate in candidates:
            assert f'name="same_as" value="{candidate.pk}"' in page
            # Exists, held by the colleague: nothing more.
            assert candidate.phones not in page
            assert reverse("crm:customer_detail", args=[candidate.pk]) not in page
        assert str(colleague) in page and "青岛市城阳区某路1号" not in page
        assert page.index("青岛杰航机械厂") < page.index("青岛杰航重机械") < page.index("青岛杰航精密机械")
        assert "very similar name" in page

    def test_it_is_this_one_opens_the_collision_with_what_was_typed(self, rep_client, colleague, candidates):
        response = rep_client.post(reverse("claims:register"), form_data(same_as=str(candidates[2].pk)))
        assert response.status_code == 200
        dispute = Dispute.objects.get()
        assert dispute.customer == candidates[2] and dispute.attempt["need"] == "五轴加工中心"
        assert reverse("claims:dispute_detail", args=[dispute.pk]) in response.content.decode()
        assert Customer.objects.count() == 3

    def test_a_name_changed_meanwhile_keeps_the_form(self, rep_client, candidates):
        response = rep_client.post(
            reverse("claims:register"), form_data(name="潍坊德隆轨道装备有限公司", same_as=str(candidates[0].pk))
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "no longer matches" in page and "潍坊德隆轨道装备有限公司" in page and "展会上认识" in page
        assert not Dispute.objects.exists() and Customer.objects.count() == 3


class TestDuplicateCheckPage:
    URL = reverse("claims:duplicate_check")

    def test_closest_first_with_an_answer_each(self, rep_client, candidates):
        response = rep_client.get(self.URL, {"q": TYPED})
        assert [row["customer"] for row in response.context["matches"]] == candidates
        page = response.content.decode()
        assert f"same_as={candidates[1].pk}" in page
        assert reverse("claims:register") in page  # no exact match yet: registering is offered

    def test_it_is_this_one_reads_as_an_exact_match(self, rep_client, candidates, colleague):
        response = rep_client.get(self.URL, {"q": TYPED, "same_as": candidates[1].pk})
        first = response.context["matches"][0]
        assert first["customer"] == candidates[1] and first["strong"]
        assert [str(reason) for reason in first["reasons"]] == ["similar name", "you said it is this one"]
        page = response.content.decode()
        # The phone menu always has its Register item: the page itself offers no registration.
        body = page.split("<main", 1)[1]
        assert response.context["same_found"] and reverse("claims:register") not in body
        assert candidates[1].phones not in page and reverse("crm:customer_detail", args=[candidates[1].pk]) not in page

    def test_an_answer_naming_another_customer_changes_nothing(self, rep_client, candidates):
        stranger = CustomerFactory(name="潍坊德隆轨道装备有限公司", owner=UserFactory(team=TeamFactory()))
        response = rep_client.get(self.URL, {"q": TYPED, "same_as": stranger.pk})
        assert stranger not in [row["customer"] for row in response.context["matches"]]
        assert not response.context["same_found"]
