"""Disputes and departures through the pages: who may open, see and decide, and what each decision changes."""

import datetime
import io
import re
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from claims.dispute_forms import DisputeDecideForm
from claims.models import Claim, Dispute, DisputeKind, DisputeState, EventKind, OwnershipEvent
from claims.services import claim_from_pool, claim_release, dispute_decide, dispute_open
from crm.models import Customer, PoolReason
from tests.factories import CustomerFactory, TeamFactory, UserFactory, log_in
from visits.models import Visit

pytestmark = pytest.mark.django_db

HOLDERS_NAME = "青岛杰航机械有限公司"
CHALLENGERS_NAME = "青岛杰航机械有限责任公司"


@pytest.fixture
def colleague(rep):
    return UserFactory(team=rep.team)


@pytest.fixture
def collision(register, rep, colleague):
    """The colleague registers a name variant of the rep's customer: a dispute for the team's manager."""
    register(rep, HOLDERS_NAME)
    return register(colleague, CHALLENGERS_NAME, phones="0532-87776666", need="卧式加工中心").dispute


@pytest.fixture
def outsider_team():
    manager = UserFactory(role="manager")
    team = TeamFactory(manager=manager)
    manager.team = team
    manager.save()
    return team


def detail_url(dispute):
    return reverse("claims:dispute_detail", args=[dispute.pk])


def decided_events(customer):
    return OwnershipEvent.objects.filter(customer=customer, kind=EventKind.DECIDED)


class TestOpen:
    def test_a_rep_who_held_the_customer_before_says_they_were_first(self, client, register, rep, colleague, policy):
        policy.pool_claim_delay_days = 0
        policy.save()
        customer = register(rep, HOLDERS_NAME).customer
        claim_release(customer=customer, actor=rep, reason="客户暂无预算")
        claim_from_pool(customer=customer, actor=colleague)
        client.force_login(rep)
        url = reverse("claims:dispute_open", args=[customer.pk])
        assert client.get(url).status_code == 200
        response = client.post(url, {"statement": "2024年3月展会首次接触，已登记并拜访两次。"})
        dispute = Dispute.objects.get()
        assert response.status_code == 302 and response["Location"] == detail_url(dispute)
        assert (dispute.kind, dispute.holder, dispute.challenger, dispute.team) == (
            DisputeKind.CLAIM,
            colleague,
            rep,
            rep.team,
        )
        assert OwnershipEvent.objects.filter(customer=customer, kind=EventKind.DISPUTED, dispute=dispute).exists()

    def test_refused_on_ones_own_customer_keeping_the_statement(self, rep_client, register, rep):
        customer = register(rep, HOLDERS_NAME).customer
        response = rep_client.post(reverse("claims:dispute_open", args=[customer.pk]), {"statement": "我先联系的"})
        assert response.status_code == 400
        assert "You already hold this customer." in response.content.decode()
        assert "我先联系的" in response.content.decode()
        assert not Dispute.objects.exists()

    def test_refused_on_a_pool_customer(self, rep_client):
        customer = CustomerFactory(owner=None, pool_reason=PoolReason.IMPORTED)
        response = rep_client.post(reverse("claims:dispute_open", args=[customer.pk]), {"statement": "我先联系的"})
        assert response.status_code == 400
        assert "This customer is in the pool: claim it instead." in response.content.decode()
        assert not Dispute.objects.exists()

    def test_the_case_is_required(self, rep_client):
        customer = CustomerFactory(owner=None)
        response = rep_client.post(reverse("claims:dispute_open", args=[customer.pk]), {"statement": "  "})
        assert response.status_code == 400 and response.context["form"].errors["statement"]

    def test_a_colleagues_customer_the_rep_never_held_is_not_found(self, rep_client, register, colleague):
        customer = register(colleague, HOLDERS_NAME).customer
        assert rep_client.get(reverse("claims:dispute_open", args=[customer.pk])).status_code == 404
        response = rep_client.post(reverse("claims:dispute_open", args=[customer.pk]), {"statement": "x"})
        assert response.status_code == 404
        assert not Dispute.objects.exists()

    def test_manager_records_the_customers_wish(self, manager_client, manager, register, rep, colleague):
        customer = register(rep, HOLDERS_NAME).customer
        url = reverse("claims:dispute_open", args=[customer.pk])
        form = manager_client.get(url).context["form"]
        assert rep not in form.fields["challenger"].queryset  # the holder is not a choice
        response = manager_client.post(url, {"kind": DisputeKind.CUSTOMER_WISH, "statement": "客户来电要求换人"})
        assert response.status_code == 400 and response.context["form"].errors["challenger"]
        response = manager_client.post(
            url, {"kind": DisputeKind.CUSTOMER_WISH, "challenger": colleague.pk, "statement": "客户来电要求换人"}
        )
        dispute = Dispute.objects.get()
        assert response["Location"] == detail_url(dispute)
        assert (dispute.kind, dispute.challenger, dispute.opened_by, dispute.team) == (
            DisputeKind.CUSTOMER_WISH,
            colleague,
            manager,
            rep.team,
        )


class TestVisibility:
    def test_both_sides_see_it_without_a_decide_form(self, client, collision, rep, colleague):
        for person in (rep, colleague):
            client.force_login(person)
            response = client.get(detail_url(collision))
            assert response.status_code == 200 and response.context["form"] is None

    def test_a_rep_of_another_team_gets_404(self, client, collision, outsider_team):
        client.force_login(UserFactory(team=outsider_team))
        assert client.get(detail_url(collision)).status_code == 404

    def test_a_manager_of_another_team_can_neither_see_nor_decide(self, client, collision, outsider_team):
        client.force_login(outsider_team.manager)
        assert client.get(detail_url(collision)).status_code == 404
        response = client.post(detail_url(collision), {"outcome": "transfer", "reason": "x"})
        assert response.status_code == 404
        collision.refresh_from_db()
        assert collision.state == DisputeState.OPEN

    def test_a_side_posting_a_decision_is_forbidden(self, client, collision, colleague):
        client.force_login(colleague)
        assert client.post(detail_url(collision), {"outcome": "transfer", "reason": "我先"}).status_code == 403
        collision.refresh_from_db()
        assert collision.state == DisputeState.OPEN

    def test_the_page_shows_both_timelines(self, manager_client, collision, rep, colleague):
        Visit.objects.create(
            customer=collision.customer, author=rep, started_at=collision.opened_at, discussion="到厂演示\n第二行"
        )
        response = manager_client.get(detail_url(collision))
        holder, challenger = response.context["sides"]
        assert (holder["person"], challenger["person"]) == (rep, colleague)
        assert [event.kind for event in holder["events"]] == [EventKind.REGISTERED]
        assert challenger["attempt"]["name"] == CHALLENGERS_NAME and holder["attempt"] is None
        page = response.content.decode()
        assert "到厂演示" in page and "第二行" not in page
        assert CHALLENGERS_NAME in page and "卧式加工中心" in page
        assert response.context["form"] is not None


class TestDecide:
    @pytest.mark.parametrize(
        ("post", "owner", "shares"),
        [
            ({"outcome": "keep"}, "holder", (100, None)),
            ({"outcome": "transfer"}, "challenger", (100, None)),
            ({"outcome": "split", "preset": "30"}, "holder", (30, "challenger")),
            ({"outcome": "split", "holder_share": "50"}, "holder", (50, "challenger")),
            ({"outcome": "pool"}, None, None),
        ],
    )
    def test_each_outcome_changes_the_owner_and_writes_history(
        self, manager_client, collision, rep, colleague, post, owner, shares
    ):
        people = {"holder": rep, "challenger": colleague, None: None}
        response = manager_client.post(detail_url(collision), {**post, "reason": "查看了双方记录"})
        assert response.status_code == 302 and response["Location"] == detail_url(collision)
        customer = Customer.objects.get(pk=collision.customer_id)
        assert customer.owner == people[owner]
        claim = Claim.objects.active().filter(customer=customer).first()
        if shares is None:
            assert claim is None
        else:
            assert (claim.holder_share, claim.shared_with) == (shares[0], people[shares[1]])
        event = decided_events(customer).get()
        assert (event.dispute, event.actor) == (collision, collision.team.manager)
        collision.refresh_from_db()
        assert (collision.state, collision.outcome) == (DisputeState.DECIDED, post["outcome"])
        page = manager_client.get(detail_url(collision)).content.decode()
        assert "查看了双方记录" in page and 'data-testid="decide-form"' not in page

    def test_a_split_preset_70_30_gives_the_holder_30(self, manager_client, collision):
        manager_client.post(detail_url(collision), {"outcome": "split", "preset": "30", "reason": "对方成交"})
        collision.refresh_from_db()
        assert (collision.holder_share, collision.challenger_share) == (30, 70)

    def test_a_split_needs_a_share(self, manager_client, collision):
        response = manager_client.post(detail_url(collision), {"outcome": "split", "reason": "x"})
        assert response.status_code == 400 and response.context["form"].errors["holder_share"]
        collision.refresh_from_db()
        assert collision.state == DisputeState.OPEN

    def test_missing_reason_is_refused_and_nothing_changes(self, manager_client, collision, rep):
        response = manager_client.post(detail_url(collision), {"outcome": "transfer", "reason": " "})
        assert response.status_code == 400 and response.context["form"].errors["reason"]
        collision.refresh_from_db()
        assert collision.state == DisputeState.OPEN
        assert Customer.objects.get(pk=collision.customer_id).owner == rep
        assert not decided_events(collision.customer).exists()

    def test_a_second_decision_is_refused(self, manager_client, collision, rep):
        manager_client.post(detail_url(collision), {"outcome": "keep", "reason": "登记在先"})
        response = manager_client.post(detail_url(collision), {"outcome": "transfer", "reason": "改判"}, follow=True)
        assert "This dispute was already decided." in response.content.decode()
        collision.refresh_from_db()
        assert (collision.outcome, collision.reason) == ("keep", "登记在先")
        assert Customer.objects.get(pk=collision.customer_id).owner == rep
        assert decided_events(collision.customer).count() == 1

    def test_an_admin_takes_over_a_team_dispute(self, admin_client, admin_user, collision, colleague):
        response = admin_client.get(detail_url(collision))
        assert response.context["takes_over"]
        admin_client.post(detail_url(collision), {"outcome": "transfer", "reason": "管理员接管"})
        collision.refresh_from_db()
        assert (collision.decided_by, collision.outcome) == (admin_user, "transfer")
        assert Customer.objects.get(pk=collision.customer_id).owner == colleague


class TestQueue:
    def make_disputes(self, count, holder, challenger, decided_by=None):
        for _ in range(count):
            customer = CustomerFactory(owner=holder)
            dispute = dispute_open(customer=customer, actor=challenger, statement="我先联系的")
            if decided_by:
                dispute_decide(dispute=dispute, actor=decided_by, outcome="keep", reason="登记在先")

    def test_manager_sees_the_teams_open_disputes_and_recent_decisions(self, manager_client, collision, manager):
        other = UserFactory(team=TeamFactory())
        self.make_disputes(1, other, UserFactory(team=other.team))  # another team's
        response = manager_client.get(reverse("claims:dispute_list"))
        assert [dispute.pk for dispute in response.context["queue"]] == [collision.pk]
        assert response.context["queue"][0].may_decide
        self.make_disputes(2, collision.holder, collision.challenger, decided_by=manager)
        response = manager_client.get(reverse("claims:dispute_list"))
        assert len(response.context["decided"]) == 2
        assert 'data-testid="open-count">1 open' in response.content.decode()

    def test_reps_see_their_own_and_decide_none(self, client, collision, colleague):
        stranger = UserFactory(team=colleague.team)
        self.make_disputes(1, UserFactory(team=colleague.team), stranger)
        client.force_login(colleague)
        queue = client.get(reverse("claims:dispute_list")).context["queue"]
        assert [(dispute.pk, dispute.may_decide) for dispute in queue] == [(collision.pk, False)]

    def test_admin_filters_the_disputes_no_team_decides(self, admin_client, collision, outsider_team):
        self.make_disputes(1, UserFactory(team=outsider_team), collision.challenger)  # across teams: admins decide
        all_open = admin_client.get(reverse("claims:dispute_list")).context["queue"]
        assert len(all_open) == 2
        no_team = admin_client.get(reverse("claims:dispute_list"), {"decider": "admin"}).context["queue"]
        assert [dispute.team for dispute in no_team] == [None]

    @pytest.mark.parametrize(("role", "queries"), [("manager", 8), ("admin", 8), ("rep", 7)])
    def test_query_count_is_constant(self, client, django_assert_num_queries, rep, colleague, manager, admin_user,
                                     role, queries):  # fmt: skip
        client.force_login({"manager": manager, "admin": admin_user, "rep": colleague}[role])
        self.make_disputes(2, rep, colleague)
        self.make_disputes(2, rep, colleague, decided_by=manager)
        with django_assert_num_queries(queries):
            client.get(reverse("claims:dispute_list"))
        self.make_disputes(10, rep, colleague)
        self.make_disputes(25, rep, colleague, decided_by=manager)
        with django_assert_num_queries(queries):
            response = client.get(reverse("claims:dispute_list"))
        assert (len(response.context["queue"]), len(response.context["decided"])) == (12, 20)


class TestDepart:
    @pytest.fixture
    def holdings(self, register, rep):
        return [register(rep, name, phones=f"0532-8000000{n}").customer for n, name in enumerate(["甲机械", "乙机械"])]

    def test_team_page_links_each_member(self, manager_client, rep, manager):
        page = manager_client.get(reverse("accounts:team")).content.decode()
        assert reverse("claims:depart", args=[rep.pk]) in page
        assert reverse("claims:depart", args=[manager.pk]) not in page

    def test_to_the_pool(self, manager_client, client, rep, holdings):
        url = reverse("claims:depart", args=[rep.pk])
        response = manager_client.get(url)
        assert response.context["held"] == 2
        response = manager_client.post(url, {"destination": "pool", "reason": "离职"}, follow=True)
        assert response.redirect_chain[-1][0] == f"{reverse('accounts:team')}?team={rep.team_id}"
        assert "2 customers went back to the pool." in response.content.decode()
        assert not Customer.objects.filter(owner__isnull=False).exists()
        assert OwnershipEvent.objects.filter(kind=EventKind.DEPARTED, from_user=rep).count() == 2
        client.logout()
        assert not log_in(client, rep.username)

    def test_to_a_colleague(self, manager_client, client, rep, colleague, holdings):
        url = reverse("claims:depart", args=[rep.pk])
        assert rep not in manager_client.get(url).context["form"].fields["reassign_to"].queryset
        response = manager_client.post(url, {"destination": "reassign"})
        assert response.status_code == 400 and response.context["form"].errors["reassign_to"]
        response = manager_client.post(url, {"destination": "reassign", "reassign_to": colleague.pk}, follow=True)
        assert "2 customers were reassigned to" in response.content.decode()
        assert set(Customer.objects.values_list("owner", flat=True)) == {colleague.pk}
        assert not log_in(client, rep.username)

    def test_only_for_ones_own_people(self, client, rep_client, rep, outsider_team):
        assert rep_client.get(reverse("claims:depart", args=[rep.pk])).status_code == 403
        client.force_login(outsider_team.manager)
        assert client.post(reverse("claims:depart", args=[rep.pk]), {"destination": "pool"}).status_code == 404
        rep.refresh_from_db()
        assert not rep.has_departed


class TestAPartyDoesNotJudge:
    """DOMAIN §5.7 through the pages: the manager holds a customer and his own rep collides with him."""

    @pytest.fixture
    def managers_dispute(self, register, manager, rep):
        register(manager, HOLDERS_NAME)
        client = Client()
        client.force_login(rep)
        response = client.post(
            reverse("claims:register"),
            {"name": CHALLENGERS_NAME, "phones": "0532-87776666", "need": "卧式加工中心",
             "relationship_level": "ordinary", "status": "prospect"},
        )  # fmt: skip
        assert response.status_code == 200 and response.context["dispute"] is not None  # the collision page
        return Dispute.objects.get()

    def test_the_manager_gets_no_form_and_is_told_who_decides(self, manager_client, managers_dispute, manager):
        response = manager_client.get(detail_url(managers_dispute))
        assert response.status_code == 200 and response.context["form"] is None
        page = response.content.decode()
        assert 'data-testid="decide-form"' not in page
        assert "You are a party to this dispute, so you cannot decide it." in page
        assert "Decided by an admin: the team&#x27;s manager is a party." in page
        response = manager_client.post(detail_url(managers_dispute), {"outcome": "keep", "reason": "我先登记的"})
        assert response.status_code == 403
        managers_dispute.refresh_from_db()
        assert managers_dispute.state == DisputeState.OPEN
        assert Customer.objects.get(pk=managers_dispute.customer_id).owner == manager

    def test_the_queue_says_the_admins_decide(self, client, managers_dispute, manager, admin_user):
        client.force_login(manager)
        response = client.get(reverse("claims:dispute_list"))
        [row] = response.context["queue"]
        assert not row.may_decide
        page = response.content.decode()
        assert "You decide" not in page and "Decided by an admin: the team&#x27;s manager is a party." in page
        client.force_login(admin_user)
        [row] = client.get(reverse("claims:dispute_list"), {"decider": "admin"}).context["queue"]
        assert (row, row.may_decide) == (managers_dispute, True)

    def test_an_admin_decides_it(self, admin_client, managers_dispute, rep):
        response = admin_client.get(detail_url(managers_dispute))
        assert response.context["form"] is not None and not response.context["takes_over"]
        admin_client.post(detail_url(managers_dispute), {"outcome": "transfer", "reason": "经理不得自判，客户归代表"})
        assert Customer.objects.get(pk=managers_dispute.customer_id).owner == rep

    def test_an_admin_who_is_a_party_gets_no_form_another_admin_does(self, client, register, rep, admin_user):
        holder = UserFactory(team=TeamFactory())
        register(holder, HOLDERS_NAME)
        holder.role = "admin"
        holder.save()
        dispute = register(rep, CHALLENGERS_NAME, phones="0532-87776666").dispute
        client.force_login(holder)
        response = client.get(detail_url(dispute))
        assert response.context["form"] is None
        assert "another admin must" in response.content.decode()
        assert client.post(detail_url(dispute), {"outcome": "keep", "reason": "我的"}).status_code == 403
        client.force_login(admin_user)
        assert client.get(detail_url(dispute)).context["form"] is not None


class TestSplitsReadTheSameEverywhere:
    """A preset's numbers go to the side its words name, and every page writes them by person and side."""

    @pytest.fixture
    def people(self, rep, colleague):
        for person, (last, first) in ((rep, ("刘", "洋")), (colleague, ("张", "伟"))):
            person.last_name, person.first_name = last, first
            person.save()
        return rep, colleague

    @pytest.mark.parametrize(
        ("preset", "holder_share", "challenger_share"),
        [("50", 50, 50), ("30", 30, 70), ("33", 33, 67), ("20", 20, 80)],
        ids=["50/50", "70/30 to the closer", "2/3 to the closer", "80/20 against the neglectful"],
    )
    def test_every_preset(self, manager_client, collision, people, preset, holder_share, challenger_share):
        holder, challenger = people
        label = dict(DisputeDecideForm().fields["preset"].choices)[preset]
        # The words name the challenger's larger part (or an even one): the larger number is the challenger's.
        assert challenger_share >= holder_share and f"{challenger_share}" in label.replace("2/3", "67")
        manager_client.post(detail_url(collision), {"outcome": "split", "preset": preset, "reason": "对方成交"})
        claim = Claim.objects.active().get(customer=collision.customer_id)
        assert (claim.holder, claim.holder_share, claim.shared_with, claim.other_share) == (
            holder, holder_share, challenger, challenger_share,
        )  # fmt: skip
        split = f"刘洋 (holder) {holder_share} % · 张伟 (challenger) {challenger_share} %"
        dispute_page = manager_client.get(detail_url(collision))
        assert split in dispute_page.content.decode()
        assert f"{holder_share}/{challenger_share}" not in dispute_page.content.decode()
        assert split in manager_client.get(reverse("claims:dispute_list")).content.decode()
        card = manager_client.get(reverse("crm:customer_detail", args=[collision.customer_id])).content.decode()
        assert card.count(split) == 2  # the credit split and the decision in the ownership history

    def test_the_dossier_pdf(self, manager_client, collision, people):
        manager_client.post(detail_url(collision), {"outcome": "split", "preset": "30", "reason": "对方成交"})
        response = manager_client.get(reverse("crm:customer_dossier", args=[collision.customer_id]))
        text = "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages)
        split = "刘洋(holder)30%·张伟(challenger)70%"  # the text without its spaces
        assert text.count(split) == 2

    def test_a_decision_recorded_before_reads_by_side_too(self, manager_client, collision, people, manager):
        """History is append-only: a split's older event says "30/70: why"; the page shows it by side from its
        dispute instead."""
        holder, challenger = people
        Claim.objects.filter(customer=collision.customer_id).update(holder_share=30, shared_with=challenger)
        Dispute.objects.filter(pk=collision.pk).update(
            state="decided", outcome="split", holder_share=30, challenger_share=70, reason="对方成交",
            decided_by=manager,
        )  # fmt: skip
        OwnershipEvent.objects.create(
            customer_id=collision.customer_id, kind=EventKind.DECIDED, actor=manager, to_user=holder,
            reason="30/70: 对方成交", dispute=collision,
        )  # fmt: skip
        card = manager_client.get(reverse("crm:customer_detail", args=[collision.customer_id])).content.decode()
        assert "30/70" not in card
        assert card.count("刘洋 (holder) 30 % · 张伟 (challenger) 70 %") == 2
        dispute_page = manager_client.get(detail_url(collision)).content.decode()
        assert "30/70" not in dispute_page


class TestQueueAge:
    @pytest.mark.parametrize(("days", "words"), [(0, "today"), (1, "yesterday"), (3, "3 days ago")])
    def test_the_age_in_words(self, manager_client, collision, days, words):
        Dispute.objects.filter(pk=collision.pk).update(opened_at=collision.opened_at - datetime.timedelta(days=days))
        response = manager_client.get(reverse("claims:dispute_list"))
        age = re.search(r'data-testid="age"[^>]*>([^<]*)<', response.content.decode()).group(1)
        assert age == words

    def test_twenty_minutes_across_local_midnight_is_yesterday(self, manager_client, collision):
        midnight = datetime.datetime(2026, 12, 3, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
        Dispute.objects.filter(pk=collision.pk).update(opened_at=midnight - datetime.timedelta(minutes=10))
        with time_machine.travel(midnight + datetime.timedelta(minutes=10), tick=False):
            page = manager_client.get(reverse("claims:dispute_list")).content.decode()
        assert re.search(r'data-testid="age"[^>]*>([^<]*)<', page).group(1) == "yesterday"
