"""DOMAIN §5, rule by rule, through the services."""

import datetime

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone, translation

from claims.duplicates import find_duplicates
from claims.models import (
    Claim,
    Dispute,
    DisputeState,
    EventKind,
    HoldingLimit,
    OwnershipEvent,
)
from claims.services import (
    OwnershipRefused,
    claim_from_pool,
    claim_refusal,
    claim_release,
    claim_transfer,
    customer_register,
    dispute_decide,
    dispute_open,
    rep_depart,
)
from crm.models import Customer, Notification, NotificationKind, PoolReason, Status
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from visits.models import Visit
from visits.services import visit_log

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def pool_customer(name="烟台华精汽车零部件有限公司", days_in_pool=10, **fields):
    return CustomerFactory(
        name=name,
        owner=None,
        pool_reason=PoolReason.IMPORTED,
        pool_since=timezone.now() - datetime.timedelta(days=days_in_pool),
        **fields,
    )


def kinds(customer):
    return list(customer.ownership_events.order_by("at", "pk").values_list("kind", flat=True))


class TestRegistration:
    def test_first_registration_creates_and_claims(self, register, rep, policy):
        result = register(rep, "青岛杰航机械有限公司")
        assert result.outcome == "created"
        customer = result.customer
        assert customer.owner == rep and customer.created_by == rep
        claim = Claim.objects.active().get(customer=customer)
        assert claim.protected_until == timezone.localdate() + datetime.timedelta(days=90)
        event = customer.ownership_events.get()
        assert (event.kind, event.actor, event.to_user) == (EventKind.REGISTERED, rep, rep)

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("青岛杰航机械有限公司", "青岛杰航机械有限责任公司"),
            ("潍坊恒锐精密机械(有限公司)", "潍坊恒锐精密机械（有限公司）"),
            ("烟台华精汽车零部件股份有限公司", "烟台 华精汽车零部件 有限公司"),
            ("濟南鼎力模具有限公司", "济南鼎力模具有限公司"),
            ("Qingdao Jiehang Machinery Co., Ltd.", "QINGDAO JIEHANG MACHINERY LIMITED"),
        ],
    )
    def test_name_variants_are_the_same_customer(self, register, rep, first, second):
        register(rep, first, phones="0532-1")
        result = register(rep, second, phones="0532-2")
        assert result.outcome == "own"
        assert Customer.objects.count() == 1

    def test_same_phone_or_credit_code_is_the_same_customer(self, register, rep):
        register(rep, "青岛杰航机械有限公司", phones="0532-8888 6666", credit_code="91370200MA3C4LB455")
        assert register(rep, "杰航青岛分厂", phones="+86 532 88886666").outcome == "own"
        assert register(rep, "完全不同的名字", phones="0531-1", credit_code="91370200MA3C4LB455").outcome == "own"
        assert Customer.objects.count() == 1

    def test_members_of_one_group_are_one_customer(self, register, rep):
        register(rep, "青岛杰航机械有限公司", group_name="杰航集团有限公司")
        sister = register(rep, "济南杰航精工有限公司", phones="0531-1", group_name="杰航集团")
        assert sister.outcome == "own"
        assert "group" in sister.matches[0].reasons
        assert register(rep, "杰航集团有限公司", phones="0531-2").outcome == "own"  # the group itself
        assert Customer.objects.count() == 1

    def test_other_companies_do_not_match(self, register, rep):
        register(rep, "青岛杰航机械有限公司")
        matches = find_duplicates(name="潍坊德隆轨道装备有限公司", phones="0536-1234567")
        assert matches == []
        assert register(rep, "潍坊德隆轨道装备有限公司", phones="0536-1234567").outcome == "created"

    def test_similar_name_needs_confirmation(self, register, rep):
        register(rep, "青岛杰航精密机械有限公司")
        result = register(rep, "青岛杰航精密机械制造厂", phones="0532-7")
        assert result.outcome == "similar"
        assert [match.customer.name for match in result.matches] == ["青岛杰航精密机械有限公司"]
        assert Customer.objects.count() == 1
        assert register(rep, "青岛杰航精密机械制造厂", phones="0532-7", confirmed_new=True).outcome == "created"

    def test_match_in_the_pool_is_offered_not_created(self, register, rep):
        existing = pool_customer(name="烟台华精汽车零部件有限公司")
        result = register(rep, "烟台华精汽车零部件有限责任公司")
        assert (result.outcome, result.customer) == ("pool", existing)
        assert Customer.objects.count() == 1

    def test_collision_opens_a_dispute_and_creates_nothing(self, register, rep, manager):
        holder_result = register(rep, "青岛杰航机械有限公司")
        challenger = UserFactory(team=rep.team)
        result = register(challenger, "青岛杰航机械有限责任公司", phones="0532-999")
        assert result.outcome == "collision"
        assert Customer.objects.count() == 1
        dispute = result.dispute
        assert (dispute.holder, dispute.challenger, dispute.team) == (rep, challenger, rep.team)
        assert dispute.attempt["name"] == "青岛杰航机械有限责任公司"
        customer = holder_result.customer
        customer.refresh_from_db()
        assert customer.owner == rep  # the earlier claim holds meanwhile
        notified = set(Notification.objects.filter(kind=NotificationKind.DISPUTE_OPENED).values_list("user", flat=True))
        assert notified == {rep.pk, challenger.pk, manager.pk}
        assert kinds(customer) == [EventKind.REGISTERED, EventKind.DISPUTED]

    def test_collision_across_teams_goes_to_the_admins(self, register, rep, admin_user):
        register(rep, "青岛杰航机械有限公司")
        stranger = UserFactory(team=TeamFactory())
        dispute = register(stranger, "青岛杰航机械有限公司", phones="1").dispute
        assert dispute.team is None
        assert Notification.objects.filter(user=admin_user, kind=NotificationKind.DISPUTE_OPENED).exists()

    def test_referral_goes_to_the_introducers_rep_when_they_came_along(self, register, rep):
        introducer = CustomerFactory(owner=rep)
        colleague = UserFactory(team=rep.team)
        customer = Customer(name="威海新客户有限公司", phones="0631-5", need="车床", referred_by=introducer)
        result = customer_register(customer=customer, actor=colleague, introducer_came_along=True)
        assert result.customer.owner == rep
        assert "Referred by" in result.customer.ownership_events.get().reason_display
        asked = Customer(name="威海另一家有限公司", phones="0631-6", need="车床", referred_by=introducer)
        assert customer_register(customer=asked, actor=colleague, asked_for=rep).customer.owner == rep

    def test_referral_without_the_introducer_is_only_noted(self, register, rep):
        introducer = CustomerFactory(owner=rep)
        colleague = UserFactory(team=rep.team)
        result = register(colleague, "威海新客户有限公司", referred_by=introducer)
        assert result.customer.owner == colleague
        assert "noted only" in result.customer.ownership_events.get().reason_display


class TestPool:
    def test_claim_from_pool(self, rep, policy):
        customer = pool_customer()
        claim = claim_from_pool(customer=customer, actor=rep)
        customer.refresh_from_db()
        assert (customer.owner, customer.pool_since, customer.pool_reason) == (rep, None, "")
        assert claim.holder == rep
        assert kinds(customer) == [EventKind.CLAIMED]

    def test_a_held_customer_cannot_be_claimed(self, rep):
        customer = CustomerFactory(owner=UserFactory())
        with pytest.raises(OwnershipRefused, match="already held"):
            claim_from_pool(customer=customer, actor=rep)

    def test_holding_limit_names_the_rule_and_the_override_lifts_it(self, rep, policy):
        policy.holding_limit = 1
        policy.save()
        claim_from_pool(customer=pool_customer(name="一号有限公司"), actor=rep)
        second = pool_customer(name="二号有限公司")
        with pytest.raises(OwnershipRefused, match="holding limit is 1"):
            claim_from_pool(customer=second, actor=rep)
        HoldingLimit.objects.create(user=rep, holding_limit=2)
        claim_from_pool(customer=second, actor=rep)

    def test_buying_customers_do_not_count_toward_the_limit_by_default(self, rep, policy):
        policy.holding_limit = 1
        policy.save()
        claim_from_pool(customer=pool_customer(name="老客户有限公司", status=Status.ACTIVE), actor=rep)
        claim_from_pool(customer=pool_customer(name="新客户有限公司"), actor=rep)
        policy.active_count_toward_limit = True
        policy.save()
        with pytest.raises(OwnershipRefused):
            claim_from_pool(customer=pool_customer(name="第三家有限公司"), actor=rep)

    def test_daily_cap(self, rep, policy):
        policy.daily_claim_cap = 2
        policy.save()
        for index in range(2):
            claim_from_pool(customer=pool_customer(name=f"客户{index}有限公司"), actor=rep)
        with pytest.raises(OwnershipRefused, match="daily limit"):
            claim_from_pool(customer=pool_customer(name="客户9有限公司"), actor=rep)

    def test_cooldown_after_release_until_the_boundary_day(self, rep, policy):
        customer = pool_customer()
        claim_from_pool(customer=customer, actor=rep)
        claim_release(customer=customer, actor=rep, reason="客户暂无需求")
        customer.refresh_from_db()
        customer.pool_since = timezone.now() - datetime.timedelta(days=5)  # past the pool delay
        customer.save()
        with pytest.raises(OwnershipRefused, match="cool-down is 30 days"):
            claim_from_pool(customer=customer, actor=rep)
        released = customer.ownership_events.get(kind=EventKind.RELEASED)
        assert released.from_user == rep and released.reason == "客户暂无需求"
        colleague = UserFactory(team=rep.team)
        claim_from_pool(customer=customer, actor=colleague)  # others may take it at once

    def test_cooldown_ends_after_thirty_days(self, rep, policy):
        customer = pool_customer()
        claim_from_pool(customer=customer, actor=rep)
        claim_release(customer=customer, actor=rep, reason="x")
        Customer.objects.filter(pk=customer.pk).update(pool_since=timezone.now() - datetime.timedelta(days=40))
        customer.refresh_from_db()
        later = timezone.now() + datetime.timedelta(days=30, minutes=1)
        assert claim_refusal(customer=customer, rep=rep, policy=policy, now=later) == ""
        earlier = timezone.now() + datetime.timedelta(days=29)
        assert "cool-down" in claim_refusal(customer=customer, rep=rep, policy=policy, now=earlier)

    def test_newly_pooled_customer_waits_a_day(self, rep, policy):
        customer = pool_customer(days_in_pool=0)
        with pytest.raises(OwnershipRefused, match="wait 1 day"):
            claim_from_pool(customer=customer, actor=rep)

    def test_release_needs_a_reason_and_the_holder(self, rep):
        customer = CustomerFactory(owner=rep)
        Claim.objects.create(customer=customer, holder=rep, renewed_on=timezone.localdate(),
                             protected_until=timezone.localdate())  # fmt: skip
        with pytest.raises(ValidationError):
            claim_release(customer=customer, actor=rep, reason="  ")
        with pytest.raises(PermissionDenied):
            claim_release(customer=customer, actor=UserFactory(team=TeamFactory()), reason="x")
        customer.refresh_from_db()
        assert customer.owner == rep


class TestRenewal:
    def test_owners_visit_renews_from_the_contact_day(self, register, rep):
        customer = register(rep, "青岛杰航机械有限公司").customer
        claim = Claim.objects.get(customer=customer)
        Claim.objects.filter(pk=claim.pk).update(renewed_on=timezone.localdate() - datetime.timedelta(days=60))
        visit_log(visit=Visit(customer=customer, method="onsite", started_at=timezone.now(), discussion="演示"),
                  actor=rep)  # fmt: skip
        claim.refresh_from_db()
        assert claim.renewed_on == timezone.localdate()
        assert claim.protected_until == timezone.localdate() + datetime.timedelta(days=90)
        assert kinds(customer) == [EventKind.REGISTERED, EventKind.RENEWED]

    def test_someone_elses_visit_does_not_renew(self, register, rep, manager):
        customer = register(rep, "青岛杰航机械有限公司").customer
        before = Claim.objects.get(customer=customer).protected_until
        Claim.objects.filter(customer=customer).update(renewed_on=timezone.localdate() - datetime.timedelta(days=5))
        visit_log(visit=Visit(customer=customer, started_at=timezone.now(), discussion="x"), actor=manager)
        assert Claim.objects.get(customer=customer).protected_until == before

    def test_phone_renews_only_if_the_policy_says_so(self, register, rep, policy):
        policy.phone_renews = False
        policy.save()
        customer = register(rep, "青岛杰航机械有限公司").customer
        Claim.objects.filter(customer=customer).update(renewed_on=timezone.localdate() - datetime.timedelta(days=5))
        visit_log(visit=Visit(customer=customer, method="phone", started_at=timezone.now(), discussion="x"), actor=rep)
        assert not customer.ownership_events.filter(kind=EventKind.RENEWED).exists()

    def test_buying_customers_are_protected_longer(self, register, rep):
        customer = register(rep, "青岛杰航机械有限公司", status=Status.ACTIVE).customer
        assert Claim.objects.get(customer=customer).protected_until == timezone.localdate() + datetime.timedelta(365)

    def test_protection_may_depend_on_grade(self, register, rep, policy):
        policy.grade_c_protection_days = 60
        policy.save()
        customer = register(rep, "青岛杰航机械有限公司").customer
        assert customer.grade == "C"
        assert Claim.objects.get(customer=customer).protected_until == timezone.localdate() + datetime.timedelta(60)


class TestDisputes:
    @pytest.fixture
    def dispute(self, register, rep):
        register(rep, "青岛杰航机械有限公司")
        challenger = UserFactory(team=rep.team)
        return register(challenger, "青岛杰航机械有限责任公司", phones="1").dispute

    def test_keep(self, dispute, manager, rep):
        dispute_decide(dispute=dispute, actor=manager, outcome="keep", reason="登记在先")
        dispute.refresh_from_db()
        assert (dispute.state, dispute.outcome, dispute.decided_by) == (DisputeState.DECIDED, "keep", manager)
        assert dispute.customer.owner == rep

    def test_transfer(self, dispute, manager, rep):
        dispute_decide(dispute=dispute, actor=manager, outcome="transfer", reason="客户指定")
        customer = Customer.objects.get(pk=dispute.customer_id)
        assert customer.owner == dispute.challenger
        assert Claim.objects.active().get(customer=customer).holder == dispute.challenger
        event = customer.ownership_events.filter(kind=EventKind.DECIDED).get()
        assert (event.from_user, event.to_user, event.dispute) == (rep, dispute.challenger, dispute)

    def test_split(self, dispute, manager, rep):
        dispute_decide(dispute=dispute, actor=manager, outcome="split", reason="都跟进过", holder_share=30)
        claim = Claim.objects.active().get(customer=dispute.customer)
        assert (claim.holder, claim.holder_share, claim.shared_with, claim.other_share) == (
            rep,
            30,
            dispute.challenger,
            70,
        )
        dispute.refresh_from_db()
        assert (dispute.holder_share, dispute.challenger_share) == (30, 70)

    def test_return_to_pool(self, dispute, manager):
        dispute_decide(dispute=dispute, actor=manager, outcome="pool", reason="双方都违规")
        customer = Customer.objects.get(pk=dispute.customer_id)
        assert (customer.owner, customer.pool_reason) == (None, PoolReason.DECIDED)
        assert not Claim.objects.active().filter(customer=customer).exists()

    def test_decision_needs_a_reason_the_right_decider_and_only_once(self, dispute, manager, admin_user):
        with pytest.raises(ValidationError):
            dispute_decide(dispute=dispute, actor=manager, outcome="transfer", reason="")
        other_manager = UserFactory(role="manager")
        TeamFactory(manager=other_manager)
        with pytest.raises(PermissionDenied):
            dispute_decide(dispute=dispute, actor=other_manager, outcome="transfer", reason="x")
        with pytest.raises(OwnershipRefused, match="You are a party to this dispute"):
            dispute_decide(dispute=dispute, actor=dispute.challenger, outcome="transfer", reason="x")
        dispute_decide(dispute=dispute, actor=admin_user, outcome="keep", reason="管理员接管")  # admins take over
        with pytest.raises(OwnershipRefused):
            dispute_decide(dispute=dispute, actor=manager, outcome="transfer", reason="x")

    def test_split_shares_must_be_sensible(self, dispute, manager):
        with pytest.raises(ValidationError):
            dispute_decide(dispute=dispute, actor=manager, outcome="split", reason="x", holder_share=100)
        with pytest.raises(IntegrityError), transaction.atomic():
            Dispute.objects.filter(pk=dispute.pk).update(
                state="decided", outcome="split", reason="x", holder_share=60, challenger_share=60
            )

    def test_opened_by_hand_and_refused_for_the_holder(self, register, rep):
        customer = register(rep, "青岛杰航机械有限公司").customer
        colleague = UserFactory(team=rep.team)
        dispute = dispute_open(customer=customer, actor=colleague, statement="我三月在展会先接触")
        assert dispute.kind == "claim" and dispute.holder == rep
        with pytest.raises(OwnershipRefused):
            dispute_open(customer=customer, actor=rep, statement="x")
        assert dispute_open(customer=customer, actor=colleague, statement="again") == dispute


class TestTransferAndDeparture:
    def test_manager_transfers_with_reason(self, register, rep, manager):
        customer = register(rep, "青岛杰航机械有限公司").customer
        colleague = UserFactory(team=rep.team)
        claim_transfer(customer=customer, actor=manager, to_user=colleague, reason="客户要求换人")
        customer.refresh_from_db()
        assert customer.owner == colleague
        assert Notification.objects.filter(user=colleague, kind=NotificationKind.CUSTOMER_ASSIGNED).exists()
        with pytest.raises(PermissionDenied):
            claim_transfer(customer=customer, actor=rep, to_user=rep, reason="x")

    def test_departure_to_the_pool(self, register, rep, manager):
        customers = [register(rep, f"客户{index}有限公司", phones=str(index)).customer for index in range(3)]
        assert rep_depart(rep=rep, actor=manager) == 3
        rep.refresh_from_db()
        assert rep.has_departed and not rep.is_active
        for customer in customers:
            customer.refresh_from_db()
            assert (customer.owner, customer.pool_reason) == (None, PoolReason.DEPARTED)
            assert kinds(customer)[-1] == EventKind.DEPARTED

    def test_departure_reassigned_in_bulk(self, register, rep, manager):
        customer = register(rep, "青岛杰航机械有限公司").customer
        colleague = UserFactory(team=rep.team)
        rep_depart(rep=rep, actor=manager, reassign_to=colleague)
        customer.refresh_from_db()
        assert customer.owner == colleague
        event = customer.ownership_events.filter(kind=EventKind.DEPARTED).get()
        assert (event.from_user, event.to_user) == (rep, colleague)

    def test_a_rep_cannot_mark_someone_departed(self, rep):
        with pytest.raises(PermissionDenied):
            rep_depart(rep=UserFactory(team=rep.team), actor=rep)


class TestHistoryIsAppendOnly:
    @pytest.fixture
    def event(self, register, rep):
        return register(rep, "青岛杰航机械有限公司").customer.ownership_events.get()

    def test_orm_refuses(self, event):
        event.reason = "rewritten"
        with pytest.raises(ValidationError):
            event.save()
        with pytest.raises(ValidationError):
            event.delete()
        with pytest.raises(ValidationError):
            OwnershipEvent.objects.filter(pk=event.pk).update(reason="rewritten")

    def test_database_refuses(self, event):
        table = OwnershipEvent._meta.db_table
        for statement in (f"UPDATE {table} SET reason = 'x'", f"DELETE FROM {table}"):
            with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
        assert OwnershipEvent.objects.get(pk=event.pk).reason == event.reason

    def test_admin_offers_no_way_to_change(self, event, admin_user):
        request = RequestFactory().get("/")
        request.user = admin_user
        model_admin = site._registry[OwnershipEvent]
        assert not model_admin.has_change_permission(request, event)
        assert not model_admin.has_delete_permission(request, event)
        assert not model_admin.has_add_permission(request)

    def test_one_active_claim_per_customer_is_a_database_rule(self, register, rep):
        customer = register(rep, "青岛杰航机械有限公司").customer
        with pytest.raises(IntegrityError), transaction.atomic():
            Claim.objects.create(customer=customer, holder=UserFactory(), renewed_on=timezone.localdate(),
                                 protected_until=timezone.localdate())  # fmt: skip


class TestDecisionGuards:
    @pytest.fixture
    def dispute(self, register, rep):
        register(rep, "青岛杰航机械有限公司")
        return register(UserFactory(team=rep.team), "青岛杰航机械有限责任公司", phones="1").dispute

    def test_refused_when_the_customer_changed_hands_meanwhile(self, dispute, manager):
        claim_release(customer=dispute.customer, actor=manager, reason="客户倒闭")
        with pytest.raises(OwnershipRefused, match="changed hands"):
            dispute_decide(dispute=dispute, actor=manager, outcome="split", reason="x", holder_share=30)

    def test_no_transfer_to_someone_who_left(self, dispute, manager):
        dispute.challenger.mark_departed()
        with pytest.raises(OwnershipRefused, match="has left"):
            dispute_decide(dispute=dispute, actor=manager, outcome="transfer", reason="x")

    def test_only_managers_record_a_customers_wish(self, register, rep):
        customer = register(rep, "青岛杰航机械有限公司").customer
        colleague = UserFactory(team=rep.team)
        with pytest.raises(PermissionDenied):
            dispute_open(customer=customer, actor=colleague, statement="客户要求换人", kind="customer_wish")


def test_what_an_admin_registers_starts_in_the_pool(register, admin_user):
    customer = register(admin_user, "青岛杰航机械有限公司").customer
    assert (customer.owner, customer.pool_reason) == (None, PoolReason.IMPORTED)
    assert not Claim.objects.filter(customer=customer).exists()
    assert customer.ownership_events.get().kind == EventKind.REGISTERED


class TestPartiesDoNotJudge:
    """DOMAIN §5.7: a dispute in which the team's manager is a party goes to the admins, and tells them."""

    @pytest.fixture
    def managers_dispute(self, register, rep, manager):
        register(manager, "青岛杰航机械有限公司")  # the manager holds a customer himself
        return register(rep, "青岛杰航机械有限责任公司", phones="1").dispute  # and his own rep collides

    def test_the_party_manager_is_refused_with_who_decides(self, managers_dispute, manager):
        with pytest.raises(OwnershipRefused) as refusal:
            dispute_decide(dispute=managers_dispute, actor=manager, outcome="keep", reason="我先登记的")
        assert refusal.value.messages == [
            "You are a party to this dispute and cannot decide it. Decided by an admin: the team's manager is a party."
        ]
        managers_dispute.refresh_from_db()
        assert managers_dispute.state == DisputeState.OPEN
        assert not OwnershipEvent.objects.filter(kind=EventKind.DECIDED).exists()

    def test_the_admins_are_told_not_the_party_manager(self, register, rep, manager, admin_user):
        other_admin, departed_admin = UserFactory(role="admin"), UserFactory(role="admin")
        departed_admin.mark_departed()
        departed_admin.save()
        register(manager, "青岛杰航机械有限公司")
        dispute = register(rep, "青岛杰航机械有限责任公司", phones="1").dispute
        told = Notification.objects.filter(kind=NotificationKind.DISPUTE_OPENED)
        # The manager hears of it as the holder, like the rep as the challenger; the deciders are the admins.
        assert set(told.values_list("user", flat=True)) == {manager.pk, rep.pk, admin_user.pk, other_admin.pk}
        assert all(
            detail.startswith("Decided by an admin: the team's manager is a party.\n")
            for detail in told.values_list("detail", flat=True)
        )
        dispute_decide(dispute=dispute, actor=admin_user, outcome="keep", reason="登记在先")

    def test_inside_a_team_only_its_manager_is_told_to_decide(self, register, rep, manager, admin_user):
        register(rep, "青岛杰航机械有限公司")
        challenger = UserFactory(team=rep.team)
        register(challenger, "青岛杰航机械有限责任公司", phones="1")
        told = Notification.objects.filter(kind=NotificationKind.DISPUTE_OPENED)
        assert set(told.values_list("user", flat=True)) == {rep.pk, challenger.pk, manager.pk}
        assert told.first().detail.startswith(f"Decided by the team's manager, {manager} ({rep.team}).\n")

    def test_an_admin_party_is_not_told_to_decide(self, register, rep, admin_user):
        holder = UserFactory(team=TeamFactory())
        register(holder, "青岛杰航机械有限公司")
        holder.role = "admin"
        holder.save()
        register(rep, "青岛杰航机械有限责任公司", phones="1")
        told = Notification.objects.filter(kind=NotificationKind.DISPUTE_OPENED)
        assert set(told.values_list("user", flat=True)) == {holder.pk, rep.pk, admin_user.pk}  # holder: a party


class TestSplitByPersonAndSide:
    @pytest.fixture
    def dispute(self, register, rep):
        register(rep, "青岛杰航机械有限公司")
        return register(UserFactory(team=rep.team), "青岛杰航机械有限责任公司", phones="1").dispute

    def test_the_record_and_the_notification_name_each_share(self, dispute, manager, rep):
        dispute_decide(dispute=dispute, actor=manager, outcome="split", reason="对方成交", holder_share=30)
        split = f"{rep} (holder) 30 % · {dispute.challenger} (challenger) 70 %"
        assert Claim.objects.active().get(customer=dispute.customer).split_text == split
        dispute.refresh_from_db()
        assert dispute.split_text == split
        event = OwnershipEvent.objects.get(kind=EventKind.DECIDED)
        assert (event.reason, event.dispute) == ("对方成交", dispute)  # the shares live on the dispute, by side
        told = Notification.objects.filter(kind=NotificationKind.DISPUTE_DECIDED)
        assert {notification.detail_display for notification in told} == {f"{split}: 对方成交"}
        with translation.override("zh-hans"):  # worded for the reader, names and shares kept
            worded = {n.detail_display for n in told}
        assert worded == {f"{rep}（持有人）30 % · {dispute.challenger}（申诉人）70 %：对方成交"}
