import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.models import Customer, Grade
from crm.services import customer_save
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from visits.models import Method, Reminder, ReminderKind, ReminderState, Visit
from visits.services import customer_snooze, next_follow_up, visit_log

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def log(customer, author, *, days_ago=0, method=Method.PHONE, logged_hours_later=1, **fields):
    started = timezone.now() - datetime.timedelta(days=days_ago)
    visit = Visit(customer=customer, author=author, method=method, started_at=started, discussion="谈了需求", **fields)
    visit.logged_at = started + datetime.timedelta(hours=logged_hours_later)
    return visit_log(visit=visit, actor=author)


@pytest.fixture
def customer(rep):
    return customer_save(customer=Customer(name="青岛跟进客户有限公司", owner=rep), actor=rep)


def test_late_flag_after_24_hours(customer, rep):
    assert not log(customer, rep, days_ago=2, logged_hours_later=23).is_late
    assert log(customer, rep, days_ago=3, logged_hours_later=25).is_late


@pytest.mark.parametrize(("grade", "days"), [(Grade.A, 7), (Grade.B, 14), (Grade.C, 30)])
def test_visit_moves_next_due_by_grade_cadence(customer, rep, grade, days):
    Customer.objects.filter(pk=customer.pk).update(grade=grade)
    customer.refresh_from_db()
    log(customer, rep, method=Method.ONSITE)
    customer.refresh_from_db()
    today = timezone.localdate()
    assert customer.last_contact_on == today
    # The first on-site visit owes a thank-you tomorrow: that comes first.
    assert customer.next_follow_up_on == today + datetime.timedelta(days=1)
    Reminder.objects.all().delete()
    log(customer, rep)
    customer.refresh_from_db()
    assert customer.next_follow_up_on == today + datetime.timedelta(days=days)


def test_a_customer_needs_on_site_within_30_days(customer, rep):
    Customer.objects.filter(pk=customer.pk).update(grade=Grade.A)
    customer.refresh_from_db()
    log(customer, rep, method=Method.ONSITE, days_ago=28)
    Reminder.objects.all().delete()
    log(customer, rep, method=Method.PHONE)
    customer.refresh_from_db()
    assert customer.next_follow_up_on == timezone.localdate() + datetime.timedelta(days=2)


def test_first_visit_creates_thank_you_and_phone_reminders(customer, rep):
    visit = log(customer, rep, method=Method.ONSITE)
    day = timezone.localdate(visit.started_at)
    reminders = {(r.kind, r.due_on) for r in customer.reminders.all()}
    assert reminders == {
        (ReminderKind.THANK_YOU, day + datetime.timedelta(days=1)),
        (ReminderKind.PHONE_FOLLOW_UP, day + datetime.timedelta(days=3)),
    }
    log(customer, rep, method=Method.WECHAT)
    states = dict(customer.reminders.values_list("kind", "state"))
    assert states[ReminderKind.THANK_YOU] == ReminderState.OPEN  # due tomorrow: today's message does not count early
    Reminder.objects.filter(kind=ReminderKind.THANK_YOU).update(due_on=timezone.localdate())
    log(customer, rep, method=Method.WECHAT)
    assert customer.reminders.get(kind=ReminderKind.THANK_YOU).state == ReminderState.DONE
    assert customer.reminders.get(kind=ReminderKind.PHONE_FOLLOW_UP).state == ReminderState.OPEN


def test_next_step_becomes_a_reminder_and_due_date(customer, rep):
    due = timezone.localdate() + datetime.timedelta(days=3)
    log(customer, rep, next_step="发送安装方案", next_step_due=due)
    reminder = customer.reminders.get(kind=ReminderKind.NEXT_STEP)
    assert (reminder.due_on, reminder.assignee, reminder.note) == (due, rep, "发送安装方案")
    customer.refresh_from_db()
    assert customer.next_follow_up_on == due


def test_contacts_of_other_customers_are_ignored(customer, rep):
    mine, theirs = ContactFactory(customer=customer), ContactFactory(customer=CustomerFactory())
    visit = Visit(customer=customer, author=rep, started_at=timezone.now(), discussion="x")
    visit_log(visit=visit, actor=rep, contacts=[mine, theirs], objections=[("price", "太贵"), ("real", "")])
    assert list(visit.contacts.all()) == [mine]
    assert list(visit.objections.values_list("kind", "text")) == [("price", "太贵")]


def test_snooze_pauses_and_dismisses_open_reminders(customer, rep):
    Reminder.objects.create(customer=customer, assignee=rep, kind=ReminderKind.CADENCE, due_on=timezone.localdate())
    customer_snooze(customer=customer, actor=rep, days=30, reason="今年预算已用完")
    customer.refresh_from_db()
    assert customer.next_follow_up_on == timezone.localdate() + datetime.timedelta(days=30)
    assert customer.reminders.get().state == ReminderState.DISMISSED
    assert next_follow_up(customer) == customer.next_follow_up_on


def test_a_next_step_goes_only_to_someone_the_author_may_hand_work_to(rep):
    """The form offers the author's people; the service refuses anyone else too (it used to trust the form)."""
    customer = CustomerFactory(owner=rep)
    stranger = UserFactory(role="rep", team=TeamFactory())
    visit = Visit(customer=customer, started_at=timezone.now(), discussion="x", next_step="报价",
                  next_step_due=timezone.localdate(), next_step_owner=stranger)  # fmt: skip
    with pytest.raises(ValidationError):
        visit_log(visit=visit, actor=rep)
    assert not Visit.objects.exists() and not Reminder.objects.exists()
