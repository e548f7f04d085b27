from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crm.models import Contact, Customer, Grade
from crm.services import contact_save, customer_follow_suggested_grade, customer_override_grade, customer_save
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.clock


@pytest.mark.django_db
class TestCustomerSave:
    def test_new_customer_gets_suggested_grade_history_and_next_follow_up(self, rep):
        customer = customer_save(
            customer=Customer(name="青岛新客户有限公司", annual_purchases=Decimal(400_000)), actor=rep
        )
        assert customer.grade == Grade.B
        assert customer.created_by == rep
        change = customer.grade_changes.get()
        assert (change.from_grade, change.to_grade, change.changed_by) == ("", Grade.B, rep)
        # created_at is stored in UTC; the follow-up rule counts from the local day of registration
        assert (customer.next_follow_up_on - timezone.localdate(customer.created_at)).days == 14

    def test_grade_follows_changed_facts_and_records_it(self, manager):
        # Saved alone, a customer is in the pool: its edit is a manager's (a rep edits only the customers they hold).
        customer = customer_save(customer=Customer(name="X公司", annual_purchases=Decimal(100_000)), actor=manager)
        customer.annual_purchases = Decimal(2_000_000)
        customer_save(customer=customer, actor=manager)
        customer.refresh_from_db()
        assert customer.grade == Grade.A
        latest = customer.grade_changes.first()
        assert (latest.from_grade, latest.to_grade, latest.is_override) == (Grade.C, Grade.A, False)

    def test_edit_without_grade_change_writes_no_history(self, manager):
        customer = customer_save(customer=Customer(name="X公司"), actor=manager)
        customer.notes = "met at the fair"
        customer_save(customer=customer, actor=manager)
        assert customer.grade_changes.count() == 1

    def test_overridden_grade_survives_fact_changes(self, manager):
        customer = customer_save(customer=Customer(name="X公司"), actor=manager)
        customer_override_grade(customer=customer, grade=Grade.A, actor=manager, reason="Group HQ decides here")
        customer.refresh_from_db()
        customer.annual_purchases = Decimal(500_000)
        customer_save(customer=customer, actor=manager)
        customer.refresh_from_db()
        assert customer.grade == Grade.A and customer.suggested_grade() == Grade.B


@pytest.mark.django_db
class TestOverride:
    def test_records_who_when_from_to_why(self, manager):
        customer = customer_save(customer=Customer(name="X公司"), actor=manager)
        customer_override_grade(customer=customer, grade=Grade.B, actor=manager, reason="Two competitors in play")
        change = customer.grade_changes.first()
        assert (change.from_grade, change.to_grade, change.changed_by, change.reason, change.is_override) == (
            Grade.C,
            Grade.B,
            manager,
            "Two competitors in play",
            True,
        )
        customer.refresh_from_db()
        assert customer.grade == Grade.B and customer.grade_overridden

    def test_reason_required_and_nothing_changes_without_it(self, manager):
        customer = customer_save(customer=Customer(name="X公司"), actor=manager)
        with pytest.raises(ValidationError):
            customer_override_grade(customer=customer, grade=Grade.A, actor=manager, reason="  ")
        customer.refresh_from_db()
        assert customer.grade == Grade.C and customer.grade_changes.count() == 1

    def test_a_rep_may_not_edit_a_customer_they_do_not_hold(self, rep, manager):
        customer = customer_save(customer=Customer(name="X公司"), actor=manager)
        customer.notes = "not mine"
        with pytest.raises(PermissionDenied):
            customer_save(customer=customer, actor=rep)
        assert Customer.objects.get(pk=customer.pk).notes == ""

    def test_rep_may_not_override(self, rep):
        customer = customer_save(customer=Customer(name="X公司"), actor=rep)
        with pytest.raises(PermissionDenied):
            customer_override_grade(customer=customer, grade=Grade.A, actor=rep, reason="I like them")

    def test_follow_suggestion_ends_override(self, manager):
        customer = customer_save(customer=Customer(name="X公司"), actor=manager)
        customer_override_grade(customer=customer, grade=Grade.A, actor=manager, reason="test")
        customer_follow_suggested_grade(customer=customer, actor=manager)
        customer.refresh_from_db()
        assert customer.grade == Grade.C and not customer.grade_overridden
        assert customer.grade_changes.count() == 3


@pytest.mark.django_db
def test_new_primary_contact_takes_the_flag(manager):
    customer = CustomerFactory()
    first = ContactFactory(customer=customer, is_primary=True)
    contact_save(contact=Contact(customer=customer, name="新联系人", is_primary=True), actor=manager)
    first.refresh_from_db()
    assert not first.is_primary
    assert customer.contacts.filter(is_primary=True).get().name == "新联系人"
