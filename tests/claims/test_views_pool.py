import datetime
import io

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from claims.models import Claim, EventKind, OwnershipPolicy
from claims.services import claim_from_pool, claim_release
from crm import paging
from crm.formatting import full_date
from crm.models import Customer, PoolReason
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

POOL = reverse("claims:pool")


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


class LocalDaysAgo(int):
    """A filter's date given as days back, read when the test runs, not when it is collected: a frozen clock (or
    midnight) lies between."""

    def __str__(self):
        return str(timezone.localdate() - datetime.timedelta(days=int(self)))


@pytest.fixture
def pooled(policy):
    return CustomerFactory(
        name="烟台池中机械有限公司", owner=None, pool_reason=PoolReason.LAPSED, pool_since=days_ago(5)
    )


@pytest.fixture
def registered(rep, register):
    """A customer `rep` registered: it has a claim and a history."""
    return register(rep, "青岛杰航机械有限公司").customer


class TestPool:
    def test_lists_unowned_newest_first(self, rep_client, rep, pooled):
        newer = CustomerFactory(owner=None, pool_reason=PoolReason.RELEASED, pool_since=days_ago(2))
        CustomerFactory(owner=rep)
        response = rep_client.get(POOL)
        assert list(response.context["page"]) == [newer, pooled]
        page = response.content.decode()
        assert "Protection lapsed" in page and reverse("claims:claim", args=[pooled.pk]) in page

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"pool_reason": "lapsed"}, ["pooled"]),
            ({"pool_reason": "released"}, ["other"]),
            ({"industry": "mold"}, ["other"]),
            ({"region": "江苏"}, ["other"]),
            ({"grade": ["B"]}, ["other"]),
            ({"q": "烟台池中"}, ["pooled"]),
            ({"pool_since_after": LocalDaysAgo(3)}, ["other"]),
            ({"pool_since_before": LocalDaysAgo(5)}, ["pooled"]),
        ],
    )
    def test_filters(self, rep_client, pooled, params, expected):
        params = {key: str(value) if isinstance(value, LocalDaysAgo) else value for key, value in params.items()}
        other = CustomerFactory(
            owner=None, pool_reason=PoolReason.RELEASED, pool_since=days_ago(1), industry="mold", region="江苏省",
            grade="B",
        )  # fmt: skip
        names = {"pooled": pooled, "other": other}
        response = rep_client.get(POOL, params)
        assert list(response.context["page"]) == [names[name] for name in expected]

    def test_query_count_constant(self, django_assert_num_queries, rep_client, policy):
        CustomerFactory.create_batch(3, owner=None, pool_since=days_ago(3))
        # session, user, policy, count, page, the rep's cool-downs on the page, due count, open disputes count;
        # on PostgreSQL the EXPLAIN that estimates the count first (above 1,000 it is the count).
        with django_assert_num_queries(9 + (connection.vendor == "postgresql")) as small:
            rep_client.get(POOL)
        CustomerFactory.create_batch(60, owner=None, pool_since=days_ago(3))
        with django_assert_num_queries(len(small.captured_queries)):
            response = rep_client.get(POOL, {"page": 1})
        assert len(response.context["page"]) == 50

    @pytest.mark.postgres
    def test_a_large_pool_says_about_how_many_and_names_no_last_page(self, rep_client, policy, monkeypatch):
        """Counting 99,461 pool customers at 1,000,000 took 7 ms of every view: above the threshold the count is
        PostgreSQL's estimate, said as such, and the pager then names no last page it cannot know."""
        monkeypatch.setattr(paging, "COUNT_EXACT_UP_TO", 20)
        monkeypatch.setattr("claims.views.pool.PAGE_SIZE", 10)
        CustomerFactory.create_batch(60, owner=None, pool_since=days_ago(3))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE crm_customer")

        response = rep_client.get(POOL)

        paginator = response.context["page"].paginator
        assert paginator.estimated and 40 <= paginator.count <= 80
        text = " ".join(response.content.decode().split())
        assert f"about {paginator.count} customers" in text and "Page 1" in text
        assert "Page 1 of" not in text and "»" not in text and "Next" in text

    def test_a_small_pool_is_counted_and_its_last_page_named(self, rep_client, policy, monkeypatch):
        monkeypatch.setattr("claims.views.pool.PAGE_SIZE", 10)
        CustomerFactory.create_batch(25, owner=None, pool_since=days_ago(3))

        text = " ".join(rep_client.get(POOL).content.decode().split())

        assert "25 customers" in text and "about" not in text and "Page 1 of 3" in text and "»" in text

    def test_customer_new_to_the_pool_shows_when_it_may_be_claimed(self, rep_client, policy):
        fresh = CustomerFactory(owner=None, pool_reason=PoolReason.LAPSED, pool_since=timezone.now())
        row = rep_client.get(POOL).context["page"][0]
        assert row == fresh and row.claimable_from == timezone.localdate() + datetime.timedelta(days=1)


class TestClaim:
    def test_success_goes_to_the_card(self, rep_client, rep, pooled):
        response = rep_client.post(reverse("claims:claim", args=[pooled.pk]))
        assert response["Location"] == reverse("crm:customer_detail", args=[pooled.pk])
        pooled.refresh_from_db()
        assert pooled.owner == rep and Claim.objects.active().get(customer=pooled).holder == rep

    def test_refusal_is_an_error_message_back_on_the_pool(self, rep_client, rep, pooled, policy):
        policy.daily_claim_cap = 0
        policy.save()
        response = rep_client.post(reverse("claims:claim", args=[pooled.pk]), follow=True)
        assert response.redirect_chain[-1][0] == POOL
        messages = [(m.level_tag, str(m)) for m in response.context["messages"]]
        assert messages[0][0] == "error" and "daily limit" in messages[0][1]
        pooled.refresh_from_db()
        assert pooled.owner is None

    def test_refusal_goes_back_to_next(self, rep_client, pooled, policy):
        policy.holding_limit = 0
        policy.save()
        next_url = POOL + "?pool_reason=lapsed"
        response = rep_client.post(reverse("claims:claim", args=[pooled.pk]), {"next": next_url})
        assert response["Location"] == next_url

    def test_get_not_allowed(self, rep_client, pooled):
        assert rep_client.get(reverse("claims:claim", args=[pooled.pk])).status_code == 405

    def test_admin_may_not_claim(self, admin_client, pooled):
        assert admin_client.post(reverse("claims:claim", args=[pooled.pk])).status_code == 403


class TestRelease:
    def test_needs_a_reason(self, rep_client, registered):
        url = reverse("claims:release", args=[registered.pk])
        assert rep_client.get(url).status_code == 200
        response = rep_client.post(url, {"reason": "  "})
        assert response.status_code == 200 and response.context["form"].errors
        registered.refresh_from_db()
        assert registered.owner is not None

    def test_releases_to_the_pool(self, rep_client, rep, registered):
        response = rep_client.post(reverse("claims:release", args=[registered.pk]), {"reason": "No budget for years"})
        assert response["Location"] == reverse("crm:customer_detail", args=[registered.pk])
        registered.refresh_from_db()
        assert registered.owner is None and registered.pool_reason == PoolReason.RELEASED
        assert registered.ownership_events.first().reason == "No budget for years"

    def test_other_reps_customer_is_404(self, rep_client):
        foreign = CustomerFactory(owner=UserFactory(team=TeamFactory()))
        assert rep_client.get(reverse("claims:release", args=[foreign.pk])).status_code == 404

    def test_manager_may_release_a_teammates_customer(self, manager_client, registered):
        response = manager_client.post(reverse("claims:release", args=[registered.pk]), {"reason": "Rep overloaded"})
        assert response.status_code == 302
        assert Customer.objects.get(pk=registered.pk).owner is None


class TestTransfer:
    def test_forbidden_to_reps(self, rep_client, registered):
        url = reverse("claims:transfer", args=[registered.pk])
        assert rep_client.get(url).status_code == 403
        assert rep_client.post(url, {"to_user": 1, "reason": "x"}).status_code == 403

    def test_other_teams_customer_is_404(self, manager_client):
        foreign = CustomerFactory(owner=UserFactory(team=TeamFactory()))
        assert manager_client.get(reverse("claims:transfer", args=[foreign.pk])).status_code == 404

    def test_manager_transfers_with_a_reason(self, manager_client, rep, team, registered):
        colleague = UserFactory(role="rep", team=team)
        url = reverse("claims:transfer", args=[registered.pk])
        response = manager_client.post(url, {"to_user": colleague.pk, "reason": ""})
        assert response.status_code == 200 and "reason" in response.context["form"].errors
        response = manager_client.post(url, {"to_user": colleague.pk, "reason": "The customer asked for another rep"})
        assert response["Location"] == reverse("crm:customer_detail", args=[registered.pk])
        event = registered.ownership_events.first()
        assert (event.kind, event.from_user, event.to_user) == (EventKind.TRANSFERRED, rep, colleague)

    def test_to_the_current_holder_is_a_form_error(self, manager_client, rep, registered):
        response = manager_client.post(
            reverse("claims:transfer", args=[registered.pk]), {"to_user": rep.pk, "reason": "x"}
        )
        assert response.status_code == 200 and "to_user" in response.context["form"].errors
        offered = manager_client.get(reverse("claims:transfer", args=[registered.pk])).context["form"]
        assert rep not in offered.fields["to_user"].queryset  # the holder is not offered in the first place


class TestCard:
    def test_shows_protection_and_history(self, rep_client, rep, registered):
        page = rep_client.get(reverse("crm:customer_detail", args=[registered.pk])).content.decode()
        claim = Claim.objects.active().get(customer=registered)
        days = (claim.protected_until - timezone.localdate()).days
        assert 'data-testid="ownership"' in page
        assert full_date(claim.protected_until) in page and f"{days} days left" in page
        assert "Registered" in page
        assert reverse("claims:release", args=[registered.pk]) in page
        assert reverse("claims:transfer", args=[registered.pk]) not in page

    def test_lapsing_soon_is_highlighted(self, rep_client, registered):
        Claim.objects.filter(customer=registered).update(protected_until=timezone.localdate() + datetime.timedelta(3))
        page = rep_client.get(reverse("crm:customer_detail", args=[registered.pk])).content.decode()
        assert "lapses in 3 days" in page

    def test_history_newest_first_and_pool_customer_offers_claim(self, client, rep, manager, registered):
        claim_release(customer=registered, actor=rep, reason="Not for us")
        client.force_login(manager)
        page = client.get(reverse("crm:customer_detail", args=[registered.pk])).content.decode()
        assert page.index("Released to the pool") < page.index("Not for us") < page.rindex("Registered")
        assert reverse("claims:claim", args=[registered.pk]) in page
        assert reverse("claims:transfer", args=[registered.pk]) in page

    def test_credit_split_is_shown(self, manager_client, rep, team, registered):
        colleague = UserFactory(role="rep", team=team, first_name="Split", last_name="Partner")
        Claim.objects.filter(customer=registered).update(holder_share=70, shared_with=colleague)
        page = manager_client.get(reverse("crm:customer_detail", args=[registered.pk])).content.decode()
        assert f"{rep} (holder) 70 % · Split Partner (challenger) 30 %" in page

    def test_claimed_from_pool_shows_in_history(self, rep_client, rep, pooled):
        OwnershipPolicy.objects.filter(pk=1).update(pool_claim_delay_days=0)
        claim_from_pool(customer=pooled, actor=rep)
        page = rep_client.get(reverse("crm:customer_detail", args=[pooled.pk])).content.decode()
        assert "Claimed from the pool" in page


def test_navigation_counts_open_disputes(client, rep, manager, register, policy):
    other = UserFactory(role="rep", team=rep.team)
    register(other, "青岛杰航机械有限公司")
    register(rep, "青岛杰航机械有限公司", phones="0532-1")
    for user in (rep, other, manager):
        client.force_login(user)
        disputes = next(i for i in client.get(reverse("visits:day")).context["nav_items"] if i["label"] == "Disputes")
        assert disputes["count"] == 1, user
    client.force_login(UserFactory(role="rep", team=rep.team))
    disputes = next(i for i in client.get(reverse("visits:day")).context["nav_items"] if i["label"] == "Disputes")
    assert disputes["count"] == 0


def test_dossier_pdf_has_the_ownership_history(rep_client, rep, registered):
    claim_release(customer=registered, actor=rep, reason="预算冻结")
    response = rep_client.get(reverse("crm:customer_dossier", args=[registered.pk]))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Ownership" in text and "Released to the pool" in text and "预算冻结" in text
