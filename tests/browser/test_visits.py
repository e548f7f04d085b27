import datetime

import pytest
from django.utils import timezone

from tests.browser.conftest import PHONE, at_path, screenshot
from tests.factories import ContactFactory, CustomerFactory
from visits.models import Reminder, ReminderKind, ReminderState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_logs_a_visit_from_the_reminder_list_on_a_phone(new_page, login, rep):
    customer = CustomerFactory(name="青岛杰航机械有限公司", owner=rep, grade="A")
    ContactFactory(customer=customer, name="王建国", is_primary=True)
    overdue = Reminder.objects.create(
        customer=customer,
        assignee=rep,
        kind=ReminderKind.CADENCE,
        due_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    other = Reminder.objects.create(
        customer=CustomerFactory(owner=rep, name="潍坊恒锐精密机械有限公司"),
        assignee=rep,
        kind=ReminderKind.CADENCE,
        due_on=timezone.localdate(),
    )
    page = new_page(viewport=PHONE)
    login(page, rep)
    page.goto("/day/")
    row = page.get_by_test_id(f"day-customer-{customer.pk}")
    assert page.get_by_test_id("nav-alert").inner_text() == "2"  # visible on a phone, menu folded
    screenshot(page, "day-before-log-phone")
    row.locator("summary").click()  # logging, pausing and dismissing wait in the row's menu
    row.get_by_role("link", name="Log visit").click()

    page.select_option("#id_method", "phone")
    assert page.is_checked("text=王建国")  # the primary contact is ticked already
    page.fill("#id_discussion", "电话确认下周二到厂演示，总经理和技术部长参加。")
    page.fill("#id_next_step", "到厂演示五轴加工中心")
    page.fill("#id_next_step_due", (timezone.localdate() + datetime.timedelta(days=7)).isoformat())
    screenshot(page, "quick-log-phone")
    page.click("button:has-text('Save')")

    page.wait_for_url(at_path("/day/"))
    assert page.get_by_text("Visit logged.").is_visible()
    # The overdue follow-up is done; the next step written in the log is what the customer is on the list for now.
    assert page.get_by_test_id("section-overdue").get_by_test_id(f"day-customer-{customer.pk}").count() == 0
    assert page.get_by_test_id("section-week").get_by_test_id(f"day-customer-{customer.pk}").is_visible()
    assert page.get_by_test_id(f"day-customer-{other.customer_id}").is_visible()
    assert page.get_by_test_id("nav-alert").inner_text() == "1"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "day-after-log-phone")
    overdue.refresh_from_db()
    assert overdue.state == ReminderState.DONE
    assert customer.visits.get().contacts.get().name == "王建国"
