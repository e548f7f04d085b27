"""On a phone: the answer to a similar name, and a claim button that says the day this rep may claim."""

import datetime

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from claims.models import Dispute
from claims.services import claim_release, customer_register
from crm.formatting import full_date
from crm.models import Customer, PoolReason
from tests.browser.conftest import PHONE, screenshot
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_it_is_this_one_on_a_similar_name_opens_the_collision(new_page, login, rep, language):
    colleague = UserFactory(team=rep.team, first_name="建国", last_name="王")
    held = CustomerFactory(name="青岛杰航精密机械有限公司", owner=colleague, phones="0532-70000000")
    CustomerFactory(name="青岛杰航机械厂", owner=None, pool_reason=PoolReason.LAPSED,
                    pool_since=timezone.now() - datetime.timedelta(days=3))  # fmt: skip
    page = new_page(viewport=PHONE, language=language)
    login(page, rep, language)
    page.goto("/register/")
    page.fill("#id_name", "青岛杰航机械有限公司")
    page.fill("#id_phones", "0532-88886666")
    page.fill("#id_need", "五轴加工中心，预算80万")
    page.locator("#register-form button[type=submit]").first.click()

    matches = page.get_by_test_id("match")
    expect(matches).to_have_count(2)  # the answer page may still be loading after the click
    assert "青岛杰航机械厂" in matches.nth(0).inner_text()  # the closer name first
    held_row = matches.nth(1)
    assert "王建国" in held_row.inner_text() and "0532-70000000" not in page.content()
    assert fits(page)
    screenshot(page, f"similar-answer-phone-{language}")

    held_row.get_by_test_id("same-as").click()
    page.get_by_test_id("collision").wait_for()
    dispute = Dispute.objects.get()
    assert (dispute.customer, dispute.challenger) == (held, rep)
    assert fits(page)
    screenshot(page, f"similar-answer-collision-phone-{language}")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_after_a_release_the_claim_button_shows_the_reps_own_day(new_page, login, rep, language):
    new = Customer(name="烟台华精汽车零部件有限公司", phones="0535-6667788", need="五轴机床")
    customer = customer_register(customer=new, actor=rep).customer
    claim_release(customer=customer, actor=rep, reason="客户暂无需求")
    with translation.override(language):  # as the page writes it, in the rep's language
        day = full_date(timezone.localdate() + datetime.timedelta(days=30))
    page = new_page(viewport=PHONE, language=language)
    login(page, rep, language)

    page.goto("/pool/")
    button = page.get_by_test_id("pool-row").first.get_by_test_id("claim-button")
    assert button.is_disabled() and day in button.inner_text()
    assert fits(page)
    screenshot(page, f"claim-date-pool-phone-{language}")

    page.get_by_test_id("pool-row").first.get_by_role("link", name="烟台华精汽车零部件有限公司").click()
    page.wait_for_url(f"**/customers/{customer.pk}/")
    button = page.get_by_test_id("ownership").get_by_test_id("claim-button")
    assert button.is_disabled() and day in button.inner_text()
    assert fits(page)
    page.get_by_test_id("ownership").scroll_into_view_if_needed()
    screenshot(page, f"claim-date-card-phone-{language}")
