import pytest

from crm.models import Customer
from tests.browser.conftest import PHONE, screenshot
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_finds_customer_by_initials_and_adds_the_decision_maker(new_page, login, rep):
    customer = CustomerFactory(name="青岛杰航机械有限公司", owner=rep)
    CustomerFactory(name="潍坊恒锐精密机械有限公司", owner=rep)
    page = new_page(viewport=PHONE)
    login(page, rep)

    page.goto("/customers/")
    page.fill("#customer-filter input[name=q]", "qdjh")
    page.press("#customer-filter input[name=q]", "Enter")
    page.wait_for_url("**q=qdjh**")
    assert page.get_by_test_id("counts").inner_text().startswith("1 customer")
    page.click("text=青岛杰航机械有限公司")

    assert page.get_by_test_id("role-warning").is_visible()
    page.click("text=Add contact")
    page.fill("#id_name", "王建国")
    page.select_option("#id_buying_role", "decision_maker")
    page.select_option("#id_communication_style", "driver")
    page.click("text=Save contact")
    page.wait_for_selector("text=Be brief and lead with the benefits.")
    assert "✓ Decision maker" in page.get_by_test_id("role-coverage").inner_text()
    assert "Coach" in page.get_by_test_id("role-warning").inner_text()
    assert "Decision maker" not in page.get_by_test_id("role-warning").inner_text()
    screenshot(page, "contact-added-phone")
    assert customer.contacts.get().name == "王建国"


def test_registration_error_keeps_what_was_typed(new_page, login, rep):
    page = new_page(viewport=PHONE)
    login(page, rep)
    page.goto("/customers/new/")
    page.fill("#id_name", "烟台新客户有限公司")
    page.fill("#id_phones", "0535-6667788")
    page.fill("#id_need", "五轴机床")
    page.fill("#id_credit_code", "91350100M000100Y44")
    page.fill("#id_notes", "展会上认识，想要五轴机床")
    page.click("#register-form button:has-text('Register')")
    assert page.locator(".invalid-feedback, .text-danger").first.is_visible()
    assert page.input_value("#id_name") == "烟台新客户有限公司"
    assert page.input_value("#id_notes") == "展会上认识，想要五轴机床"
    assert not Customer.objects.exists()
