"""The claim date a rep sees is the date they can claim: the later of the pool delay and their own cool-down,
as local (Asia/Shanghai) days. The clock is frozen around local midnight, where a UTC day or a 24-hour count
would give another answer."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from claims.models import OwnershipPolicy
from claims.services import OwnershipRefused, claim_from_pool, claim_refusal, claim_release, claimable_from
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
RELEASED_AT = datetime.datetime(2027, 3, 1, 23, 50, tzinfo=SHANGHAI)  # ten minutes before local midnight
DAY_AFTER = datetime.date(2027, 3, 2)  # the pool delay (one day) ends for everyone
COOLDOWN_ENDS = datetime.date(2027, 3, 31)  # 30 local days after the release


def at(year, month, day, hour, minute):
    return time_machine.travel(datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def released(rep, register, policy):
    """A customer `rep` registered and released ten minutes before local midnight."""
    with at(2027, 2, 1, 10, 0):
        customer = register(rep, "青岛杰航机械有限公司").customer
    with time_machine.travel(RELEASED_AT, tick=False):
        claim_release(customer=customer, actor=rep, reason="客户暂无需求")
    customer.refresh_from_db()
    return customer


@pytest.fixture
def colleague(rep):
    return UserFactory(role="rep", team=rep.team)


class TestClaimableFrom:
    def test_right_after_release_the_rep_waits_out_the_cooldown_others_a_day(self, released, rep, colleague):
        with at(2027, 3, 1, 23, 55):
            assert claimable_from(customers=[released], rep=rep) == {released.pk: COOLDOWN_ENDS}
            assert claimable_from(customers=[released], rep=colleague) == {released.pk: DAY_AFTER}

    def test_after_local_midnight_the_pool_delay_is_over_but_not_the_cooldown(self, released, rep, colleague):
        with at(2027, 3, 2, 0, 5):
            assert claimable_from(customers=[released], rep=colleague) == {}
            assert claimable_from(customers=[released], rep=rep) == {released.pk: COOLDOWN_ENDS}

    def test_the_cooldown_ends_at_the_local_midnight_it_names(self, released, rep, policy):
        with at(2027, 3, 30, 23, 50):
            assert claimable_from(customers=[released], rep=rep) == {released.pk: COOLDOWN_ENDS}
            with pytest.raises(OwnershipRefused, match="from 31 Mar 2027"):
                claim_from_pool(customer=released, actor=rep)
        # Twenty minutes later it is the day named, though not yet 30 × 24 hours since the release.
        with at(2027, 3, 31, 0, 10):
            assert claimable_from(customers=[released], rep=rep) == {}
            assert claim_refusal(customer=released, rep=rep, policy=policy) == ""
            claim_from_pool(customer=released, actor=rep)

    def test_the_refusal_names_the_rep_s_own_day(self, released, rep, policy):
        with at(2027, 3, 1, 23, 55):
            refusal = claim_refusal(customer=released, rep=rep, policy=policy)
        assert "cool-down is 30 days" in refusal and "from 31 Mar 2027" in refusal

    def test_a_longer_pool_delay_is_the_day_when_it_ends_later(self, released, rep, policy):
        policy.pool_claim_delay_days, policy.reclaim_cooldown_days = 40, 30
        policy.save()
        with at(2027, 3, 2, 0, 5):
            assert claimable_from(customers=[released], rep=rep) == {released.pk: datetime.date(2027, 4, 10)}
            assert "from 10 Apr 2027" in claim_refusal(customer=released, rep=rep, policy=OwnershipPolicy.current())

    def test_one_query_for_a_page_of_customers(self, released, rep, django_assert_num_queries, policy):
        with at(2027, 3, 2, 0, 5), django_assert_num_queries(1):
            claimable_from(customers=[released] * 50, rep=rep, policy=policy)


def claim_button(page):
    """The text of the claim button(s) on a page, to read the state and day a person sees."""
    start = page.index('data-testid="claim-button"')
    return page[page.rindex("<button", 0, start) : page.index("</button>", start) + len("</button>")]


class TestPages:
    """Every page that offers the claim shows the rep's own day on a disabled button."""

    @pytest.mark.parametrize(
        "url",
        [
            lambda customer: reverse("claims:pool"),
            lambda customer: reverse("crm:customer_detail", args=[customer.pk]),
            lambda customer: reverse("claims:duplicate_check") + "?q=青岛杰航机械",
        ],
        ids=["pool", "card", "duplicate-check"],
    )
    def test_releasing_rep_sees_the_cooldown_day_a_colleague_tomorrow(self, client, released, rep, colleague, url):
        with at(2027, 3, 1, 23, 55):
            client.force_login(rep)
            button = claim_button(client.get(url(released)).content.decode())
            assert "disabled" in button and "Claim from 31 Mar 2027" in button
            client.force_login(colleague)
            button = claim_button(client.get(url(released)).content.decode())
            assert "disabled" in button and "Claim from 2 Mar 2027" in button
        with at(2027, 3, 2, 0, 5):
            client.force_login(colleague)  # a session of its own: the clock jumped
            button = claim_button(client.get(url(released)).content.decode())
            assert "disabled" not in button and ">Claim</button>" in button

    def test_registration_that_finds_it_in_the_pool(self, client, released, rep):
        with at(2027, 3, 2, 9, 0):
            client.force_login(rep)
            response = client.post(
                reverse("claims:register"),
                {"name": "青岛杰航机械有限公司", "phones": "0532-1", "need": "车床", "relationship_level": "ordinary",
                 "status": "prospect"},
            )  # fmt: skip
        assert response.context["outcome"] == "pool"
        assert "Claim from 31 Mar 2027" in claim_button(response.content.decode())

    def test_a_refused_claim_goes_back_to_the_card_with_the_reason(self, client, released, rep):
        card = reverse("crm:customer_detail", args=[released.pk])
        with at(2027, 3, 5, 9, 0):
            client.force_login(rep)
            page = client.get(card).content.decode()
            assert f'name="next" value="{card}"' in page
            response = client.post(reverse("claims:claim", args=[released.pk]), {"next": card})
        assert response["Location"] == card
        assert [str(message) for message in get_messages(response.wsgi_request)] == [
            "You released or lost this customer on 1 Mar 2027. The re-claim cool-down is 30 days: "
            "you may claim it again from 31 Mar 2027."
        ]
        released.refresh_from_db()
        assert released.owner is None

    def test_a_refused_claim_from_the_duplicate_check_goes_back_to_it(self, client, released, rep):
        check = reverse("claims:duplicate_check") + "?q=%E9%9D%92%E5%B2%9B%E6%9D%B0%E8%88%AA"
        with at(2027, 3, 5, 9, 0):
            client.force_login(rep)
            assert f'value="{check}"' in client.get(check).content.decode()
            response = client.post(reverse("claims:claim", args=[released.pk]), {"next": check})
        assert response["Location"] == check
