"""An admin on a phone: the webhooks page warns of an endpoint switched off, registers a new one and reads the
delivery log; both pages fit 375 px and pass axe."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.webhooks.models import Attempt, Delivery, DeliveryState, DisabledReason, Endpoint, Event
from tests.browser.axe import scan
from tests.browser.conftest import PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_admin_registers_an_endpoint_and_reads_the_log_on_a_phone(new_page, login, admin_user):
    broken = Endpoint.objects.create(
        name="ERP 订单同步", url="https://erp.example.com/crm/webhooks/a/long/path/that/wraps", created_by=admin_user,
        events=[Event.CUSTOMER_REGISTERED, Event.OWNERSHIP_CHANGED], is_active=False,
        disabled_reason=DisabledReason.FAILURES, disabled_at=timezone.now(), consecutive_failures=5,
    )  # fmt: skip
    delivery = Delivery.objects.create(endpoint=broken, event=Event.CUSTOMER_REGISTERED, body="{}",
                                       state=DeliveryState.FAILED, attempts=2)  # fmt: skip
    Attempt.objects.create(delivery=delivery, number=1, status_code=502, response="Bad gateway " * 40, duration_ms=31)
    Attempt.objects.create(delivery=delivery, number=2, error="TimeoutError: timed out", duration_ms=5002)

    phone = new_page(viewport=PHONE)
    login(phone, admin_user)
    phone.goto("/webhooks/")
    expect(phone.get_by_test_id("disabled-alert")).to_contain_text("ERP 订单同步")
    assert fits(phone) and scan(phone, "webhooks list") == []

    phone.fill("#id_name", "企业微信机器人")
    phone.fill("#id_url", "https://qyapi.example.com/cgi-bin/webhook/send")
    phone.get_by_label("Complaint opened").check()
    phone.get_by_role("button", name="Add endpoint").click()
    phone.wait_for_url("**/webhooks/*/")
    expect(phone.get_by_test_id("secret")).to_contain_text("whsec_")
    assert fits(phone)
    screenshot(phone, "webhook-registered-phone")

    phone.goto(f"/webhooks/{broken.pk}/")
    phone.get_by_test_id("delivery").locator("summary").click()
    expect(phone.get_by_test_id("attempt").nth(1)).to_contain_text("TimeoutError")
    assert fits(phone) and scan(phone, "webhook delivery log") == []
    screenshot(phone, "webhook-log-phone")
