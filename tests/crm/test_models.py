import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from accounts.models import Role, User
from crm.models import BuyingRole, Customer, CustomerPhone, Grade, GradeRule
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory


@pytest.mark.django_db
class TestSuggestedGrade:
    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            (None, Grade.C),
            (Decimal(0), Grade.C),
            (Decimal(299_999), Grade.C),
            (Decimal(300_000), Grade.B),
            (Decimal(999_999), Grade.B),
            (Decimal(1_000_000), Grade.A),
        ],
    )
    def test_thresholds(self, amount, expected):
        assert Customer(annual_purchases=amount).suggested_grade() == expected

    @pytest.mark.parametrize("flag", ["is_strategic", "is_high_growth"])
    def test_flag_makes_small_customer_a(self, flag):
        assert Customer(annual_purchases=Decimal(10_000), **{flag: True}).suggested_grade() == Grade.A

    def test_policy_edited_by_admin_applies(self):
        GradeRule.objects.filter(grade=Grade.B).update(min_annual_purchases=200_000)
        assert Customer(annual_purchases=Decimal(250_000)).suggested_grade() == Grade.B

    def test_defaults_when_policy_rows_are_missing(self):
        GradeRule.objects.all().delete()
        policy = GradeRule.policy()
        assert policy[Grade.A].cadence_days == 7 and policy[Grade.A].onsite_interval_days == 30
        assert policy[Grade.B].cadence_days == 14 and policy[Grade.C].cadence_days == 30


class TestManVerdict:
    @pytest.mark.parametrize(
        ("money", "authority", "need", "verdict"),
        [
            (True, True, True, "ideal"),
            (True, False, True, "develop"),
            (False, False, True, "nurture"),
            (False, False, False, "stop"),
        ],
    )
    def test_verdicts(self, money, authority, need, verdict):
        customer = Customer(man_money=money, man_authority=authority, man_need=need)
        assert customer.man_verdict[0] == verdict

    def test_develop_names_the_missing_one(self):
        assert "authority" in str(Customer(man_money=True, man_need=True).man_verdict[1])


class TestQuadrant:
    @pytest.mark.parametrize(
        ("amount", "share", "strategic", "expected"),
        [
            (2_000_000, 70, False, "defend"),
            (2_000_000, 10, False, "attack"),
            (100_000, 70, False, "maintain"),
            (100_000, 10, False, "let_go"),
            (100_000, 10, True, "attack"),
        ],
    )
    def test_quadrants(self, amount, share, strategic, expected):
        customer = Customer(annual_purchases=Decimal(amount), share_of_wallet=share, is_strategic=strategic)
        assert customer.quadrant[0] == expected

    def test_unknown_without_share(self):
        assert Customer(annual_purchases=Decimal(5_000_000)).quadrant is None


@pytest.mark.django_db
class TestRoleCoverage:
    def test_warns_for_missing_decision_maker_and_coach(self):
        customer = CustomerFactory()
        ContactFactory(customer=customer, buying_role=BuyingRole.USER)
        contacts = list(customer.contacts.all())
        covered = {role: present for role, _label, present in customer.role_coverage(contacts)}
        assert covered == {
            BuyingRole.DECISION_MAKER: False,
            BuyingRole.TECHNICAL: False,
            BuyingRole.USER: True,
            BuyingRole.COACH: False,
        }
        assert [str(label) for label in customer.missing_key_roles(contacts)] == ["Decision maker", "Coach"]

    def test_no_warning_when_decider_and_coach_known(self):
        customer = CustomerFactory()
        ContactFactory(customer=customer, buying_role=BuyingRole.DECISION_MAKER)
        ContactFactory(customer=customer, buying_role=BuyingRole.COACH)
        assert customer.missing_key_roles(list(customer.contacts.all())) == []


@pytest.mark.django_db
class TestCustomerSave:
    def test_keeps_normalized_name_pinyin_and_phones(self):
        customer = CustomerFactory(name="青岛杰航机械有限公司", phones="0532-88886666, +86 138 0013 8000")
        assert customer.name_normalized == "青岛杰航机械"
        assert customer.name_initials.startswith("qdjh")
        assert set(customer.phone_numbers.values_list("number", flat=True)) == {"053288886666", "13800138000"}
        customer.phones = "13800138000"
        customer.save()
        assert list(CustomerPhone.objects.filter(customer=customer).values_list("number", flat=True)) == ["13800138000"]

    def test_credit_code_unique_but_blank_allowed_twice(self):
        CustomerFactory(credit_code="")
        CustomerFactory(credit_code="")
        CustomerFactory(credit_code="91350100M000100Y43")
        with pytest.raises(IntegrityError):
            CustomerFactory(credit_code="91350100m000100y43")

    def test_one_primary_contact_enforced_by_database(self):
        customer = CustomerFactory()
        ContactFactory(customer=customer, is_primary=True)
        with pytest.raises(IntegrityError):
            ContactFactory(customer=customer, is_primary=True)

    @pytest.mark.clock
    def test_overdue(self):
        today = timezone.localdate()
        late = CustomerFactory(next_follow_up_on=today - datetime.timedelta(days=1))
        CustomerFactory(next_follow_up_on=today)
        CustomerFactory(next_follow_up_on=None)
        assert list(Customer.objects.overdue()) == [late]
        assert late.is_overdue


@pytest.mark.django_db
class TestSearch:
    def setup_method(self):
        self.jiehang = CustomerFactory(
            name="青岛杰航机械有限公司", phones="0532-88886666", credit_code="91350100M000100Y43"
        )
        self.other = CustomerFactory(name="潍坊恒锐精密机械股份有限公司", phones="0536-12345678")

    @pytest.mark.parametrize(
        "text", ["杰航", "青島傑航", "qdjh", "QDJH", "qingdaojiehang", "88886666", "0532-8888", "91350100M0"]
    )
    def test_finds_by_every_key(self, text):
        assert list(Customer.objects.search(text)) == [self.jiehang]

    def test_unrelated_text_finds_nothing(self):
        assert not Customer.objects.search("济南").exists()

    def test_empty_search_returns_all(self):
        assert Customer.objects.search("  ").count() == 2


@pytest.mark.django_db
class TestVisibility:
    def setup_method(self):
        self.team = TeamFactory()
        self.other_team = TeamFactory()
        self.manager = UserFactory(role=Role.MANAGER)
        self.team.manager = self.manager
        self.team.save()
        self.rep = UserFactory(team=self.team)
        self.teammate = UserFactory(team=self.team)
        self.outsider = UserFactory(team=self.other_team)
        self.admin = UserFactory(role=Role.ADMIN)
        self.own = CustomerFactory(owner=self.rep)
        self.teammates = CustomerFactory(owner=self.teammate)
        self.outsiders = CustomerFactory(owner=self.outsider)
        self.pooled = CustomerFactory(owner=None)

    def test_rep_sees_own_and_pool(self):
        assert set(Customer.objects.visible_to(self.rep)) == {self.own, self.pooled}

    def test_manager_sees_team_and_pool(self):
        assert set(Customer.objects.visible_to(self.manager)) == {self.own, self.teammates, self.pooled}

    def test_admin_sees_all(self):
        assert Customer.objects.visible_to(self.admin).count() == 4

    def test_rep_edits_only_own(self):
        assert list(Customer.objects.editable_by(self.rep)) == [self.own]

    def test_departed_rep_sees_nothing(self):
        # Even still holding a customer (the departure page moves them; a bulk update may not).
        User.objects.filter(pk=self.rep.pk).update(is_active=False, departed_at=timezone.now())
        self.rep.refresh_from_db()
        assert not Customer.objects.visible_to(self.rep).exists()
