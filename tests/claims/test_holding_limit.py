"""The holding limit (DOMAIN §5 rule 4) counts every way a rep gains a customer: claims and registrations."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, HoldingLimit
from claims.services import OwnershipRefused, claim_from_pool, customer_register
from crm.models import Customer, PoolReason, Status
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_limit(rep, policy, register):
    """`rep` holds one prospect and the limit is one."""
    policy.holding_limit = 1
    policy.save()
    register(rep, "青岛杰航机械有限公司", phones="0532-1000001")
    return rep


class TestRegistration:
    def test_a_rep_at_the_limit_cannot_register_past_it(self, at_limit, register):
        with pytest.raises(OwnershipRefused) as refused:
            register(at_limit, "潍坊德隆轨道装备有限公司", phones="0536-2000002")
        message = " ".join(refused.value.messages)
        assert "You hold 1 customers and the holding limit is 1" in message
        assert "Release a customer to the pool" in message and "higher limit" in message
        assert not Customer.objects.filter(name="潍坊德隆轨道装备有限公司").exists()
        assert Claim.objects.active().filter(holder=at_limit).count() == 1

    def test_an_override_lifts_it(self, at_limit, register):
        HoldingLimit.objects.create(user=at_limit, holding_limit=2)
        assert register(at_limit, "潍坊德隆轨道装备有限公司", phones="0536-2000002").outcome == "created"

    def test_buying_customers_stay_outside_the_count(self, at_limit, register, policy):
        # A customer who already buys may be registered at the limit, and does not count afterwards.
        result = register(at_limit, "烟台老客户有限公司", phones="0535-3000003", status=Status.ACTIVE)
        assert result.outcome == "created"
        with pytest.raises(OwnershipRefused):
            register(at_limit, "潍坊德隆轨道装备有限公司", phones="0536-2000002")
        policy.active_count_toward_limit = True
        policy.save()
        with pytest.raises(OwnershipRefused, match="You hold 2 customers"):
            register(at_limit, "威海另一老客户有限公司", phones="0631-4000004", status=Status.ACTIVE)

    def test_registrations_count_toward_a_later_claim(self, at_limit):
        pooled = CustomerFactory(
            owner=None, pool_reason=PoolReason.LAPSED, pool_since=timezone.now() - datetime.timedelta(days=3)
        )
        with pytest.raises(OwnershipRefused, match="holding limit is 1"):
            claim_from_pool(customer=pooled, actor=at_limit)

    def test_a_referral_counts_for_the_rep_it_goes_to(self, at_limit):
        introducer = CustomerFactory(owner=at_limit, name="威海介绍人有限公司")
        colleague = UserFactory(team=at_limit.team)
        referred = Customer(name="威海新客户有限公司", phones="0631-5", need="车床", referred_by=introducer)
        with pytest.raises(OwnershipRefused) as refused:
            customer_register(customer=referred, actor=colleague, introducer_came_along=True)
        assert f"would belong to {at_limit}" in " ".join(refused.value.messages)
        # Without the introducer the colleague registers it for themselves, within their own limit.
        noted = Customer(name="威海新客户有限公司", phones="0631-5", need="车床", referred_by=introducer)
        assert customer_register(customer=noted, actor=colleague).customer.owner == colleague

    def test_an_admins_registration_goes_to_the_pool_whatever_the_limit(self, register, admin_user, policy):
        policy.holding_limit = 0
        policy.save()
        assert register(admin_user, "潍坊德隆轨道装备有限公司").customer.owner is None


class TestRegistrationPage:
    def test_refused_with_the_numbers_and_nothing_typed_is_lost(self, rep_client, at_limit):
        response = rep_client.post(
            reverse("claims:register"),
            {
                "name": "潍坊德隆轨道装备有限公司",
                "phones": "0536-2000002",
                "need": "龙门加工中心，预算80万",
                "notes": "展会上认识的采购经理",
                "relationship_level": "ordinary",
                "status": "prospect",
            },
        )
        assert response.status_code == 200
        form = response.context["form"]
        assert "holding limit is 1" in " ".join(form.non_field_errors())
        page = response.content.decode()
        assert "You hold 1 customers and the holding limit is 1" in page
        for typed in ("潍坊德隆轨道装备有限公司", "0536-2000002", "龙门加工中心，预算80万", "展会上认识的采购经理"):
            assert typed in page
        assert not Customer.objects.filter(name="潍坊德隆轨道装备有限公司").exists()
