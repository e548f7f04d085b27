"""My day on a phone: one row per customer, due in words, the number the call button rings."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.calling import call_target
from crm.formatting import due_text, relative_due
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from visits.day import day_sections
from visits.models import Reminder, ReminderKind

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

DAY = datetime.timedelta(days=1)


def remind(customer, assignee, kind=ReminderKind.CADENCE, days=0, note=""):
    return Reminder.objects.create(
        customer=customer, assignee=assignee, kind=kind, due_on=timezone.localdate() + days * DAY, note=note
    )


@pytest.mark.parametrize(
    ("days_late", "words"),
    [(3, "3 days overdue"), (1, "1 day overdue"), (0, "Due today"), (-1, "due in 1 day"), (-2, "due in 2 days")],
)
def test_due_text(days_late, words):
    assert due_text(days_late) == words


def test_days_until_counts_shanghai_calendar_days():
    # At 23:30 and at 00:30 Shanghai time (the clock marker), today's local date is "today", whatever UTC says.
    today = timezone.localdate()
    assert relative_due(today) == "Due today"
    assert relative_due(today - DAY) == "1 day overdue"
    assert timezone.localdate(timezone.now()) == today


def test_reminders_of_one_customer_merge_into_one_row(rep):
    customer = CustomerFactory(owner=rep, grade="A")
    remind(customer, rep, ReminderKind.NEXT_STEP, days=2, note="送样件")
    remind(customer, rep, ReminderKind.CADENCE, days=-3)
    remind(CustomerFactory(owner=rep, grade="B"), rep, days=5)
    sections = day_sections(rep)
    assert [len(rows) for rows in sections.values()] == [1, 0, 1]
    row = sections["overdue"][0]
    assert row.customer == customer and row.due_on == timezone.localdate() - 3 * DAY
    assert row.kinds == ["Grade cadence", "Next step due"]


def test_day_row_says_when_in_words_and_lists_reasons(rep_client, rep):
    customer = CustomerFactory(owner=rep, grade="A", name="青岛杰航机械有限公司")
    remind(customer, rep, ReminderKind.CADENCE, days=-3)
    remind(customer, rep, ReminderKind.NEXT_STEP, days=0, note="送样件")
    remind(CustomerFactory(owner=rep), rep, days=0)
    remind(CustomerFactory(owner=rep), rep, days=2)
    page = rep_client.get(reverse("visits:day")).content.decode()
    assert page.count('data-testid="day-customer-') == 3
    assert page.count(f'data-testid="day-customer-{customer.pk}"') == 1
    assert "3 days overdue" in page and "Due today" in page and "due in 2 days" in page
    assert "Grade cadence · Next step due" in page and "送样件" in page
    # Each of the customer's reminders can still be dismissed (with a reason), from the row's menu.
    assert page.count('<details class="day-menu') == 3
    for reminder in customer.reminders.all():
        assert reverse("visits:reminder_dismiss", args=[reminder.pk]) in page


def test_someone_elses_reminders_stay_off_my_day(rep_client, rep):
    colleague = UserFactory(team=rep.team)
    remind(CustomerFactory(owner=colleague), colleague)
    assert day_sections(rep) == {"overdue": [], "today": [], "week": []}


class TestCallNumber:
    def test_decision_makers_mobile_first(self):
        customer = CustomerFactory(phones="0532-88886666")
        primary = ContactFactory(customer=customer, is_primary=True, phones="13900001111")
        boss = ContactFactory(
            customer=customer, buying_role="decision_maker", phones="0532-8888 1234, +86 138 0013 8000"
        )
        target = call_target(customer, [primary, boss])
        assert (target.number, target.contact) == ("13800138000", boss)

    def test_then_the_primary_contacts_mobile(self):
        customer = CustomerFactory(phones="0532-88886666")
        boss = ContactFactory(customer=customer, buying_role="decision_maker", phones="0532-88881234")
        primary = ContactFactory(customer=customer, is_primary=True, phones="139-0000-1111")
        target = call_target(customer, [primary, boss])
        assert (target.number, target.contact) == ("13900001111", primary)

    def test_then_the_customers_first_phone(self):
        customer = CustomerFactory(phones="0532-88886666, 0532-88887777")
        other = ContactFactory(customer=customer, phones="13700001111")  # neither decision maker nor primary
        target = call_target(customer, [other])
        assert (target.number, target.contact) == ("053288886666", None)

    def test_nothing_to_call(self):
        assert call_target(CustomerFactory(phones=""), []) is None


def test_call_button_digits_only_and_log_link(rep_client, rep):
    customer = CustomerFactory(owner=rep, phones="")
    boss = ContactFactory(customer=customer, name="王建国", buying_role="decision_maker", phones="+86 138-0013-8000")
    remind(customer, rep)
    page = rep_client.get(reverse("visits:day")).content.decode()
    assert 'href="tel:13800138000"' in page
    log_url = reverse("visits:visit_create", args=[customer.pk])
    assert f'data-log-url="{log_url}?method=phone&amp;contact={boss.pk}&amp;next=/day/"' in page


def test_day_queries_do_not_grow_with_customers_contacts_and_reminders(rep_client, rep, django_assert_num_queries):
    def add(count):
        for n in range(count):
            customer = CustomerFactory(owner=rep, grade="ABC"[n % 3])
            ContactFactory(customer=customer, is_primary=True, phones="13900001111")
            ContactFactory(customer=customer, buying_role="decision_maker", phones="13800001111")
            for days in (-2, 0, 3):
                remind(customer, rep, days=days)

    add(2)
    with django_assert_num_queries(7) as small:
        rep_client.get(reverse("visits:day"))
    add(20)
    with django_assert_num_queries(len(small.captured_queries)):
        response = rep_client.get(reverse("visits:day"))
    assert response.context["counts"] == {"overdue": 22, "today": 0, "week": 0}


class TestLogThisCallPrefill:
    def test_method_and_contact_come_from_the_link(self, rep_client, rep):
        customer = CustomerFactory(owner=rep)
        ContactFactory(customer=customer, is_primary=True)
        called = ContactFactory(customer=customer)
        url = reverse("visits:visit_create", args=[customer.pk])
        form = rep_client.get(url, {"method": "phone", "contact": called.pk}).context["form"]
        assert form.initial["method"] == "phone"
        assert form.initial["contacts"] == [called.pk]

    def test_a_contact_of_another_customer_is_ignored(self, rep_client, rep):
        customer = CustomerFactory(owner=rep)
        primary = ContactFactory(customer=customer, is_primary=True)
        stranger = ContactFactory(customer=CustomerFactory(owner=UserFactory(team=TeamFactory())))
        url = reverse("visits:visit_create", args=[customer.pk])
        response = rep_client.get(url, {"method": "teleport", "contact": stranger.pk})
        form = response.context["form"]
        assert "method" not in form.initial
        assert form.initial["contacts"] == [primary.pk]  # the usual default
        assert stranger.name not in response.content.decode()

    def test_next_step_owner_defaults_to_the_rep(self, rep_client, rep):
        customer = CustomerFactory(owner=rep)
        form = rep_client.get(reverse("visits:visit_create", args=[customer.pk])).context["form"]
        assert form.initial["next_step_owner"] == rep.pk
        assert f'<option value="{rep.pk}" selected>' in str(form["next_step_owner"])
