"""The rep's phone (375 × 812, touch, Chinese): My day fits, the visit form shows every error, the pages a rep
goes to never scroll sideways and every tap target is at least 44 × 44 px."""

import datetime
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import BuyingRole, PoolReason
from tests.browser.conftest import ARTIFACTS, PHONE, at_path, screenshot
from tests.factories import ContactFactory, CustomerFactory
from visits.models import Reminder, ReminderKind, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_TAP = 44

# Buttons, form controls and links that stand on their own, visible, in the main content and the navigation.
# A link inside running text (display: inline) is exempt, as WCAG 2.5.8 allows.
SMALL_TARGETS = """(minimum) => {
    const selector = "button, .btn, summary, select, textarea, input:not([type=hidden]):not([type=checkbox])"
        + ":not([type=radio]), .form-check-label, a[href]";
    const small = [];
    for (const element of document.querySelectorAll(`main :is(${selector}), header :is(${selector})`)) {
        const box = element.getBoundingClientRect();
        const style = getComputedStyle(element);
        if (!box.width || !box.height || style.visibility === "hidden" || element.closest("[hidden]")) continue;
        if (element.matches("a") && style.display === "inline") continue;
        if (element.matches(".skip-link")) continue;
        if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
            small.push(`${element.tagName.toLowerCase()}.${element.className} "${element.textContent.trim()
                .slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`);
        }
    }
    return small;
}"""


@pytest.fixture
def phone(browser, live_server, login):
    """A touch phone in Chinese, `user` logged in."""
    contexts = []

    def open_as(user):
        context = browser.new_context(
            viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN", base_url=live_server.url
        )
        contexts.append(context)
        page = context.new_page()
        login(page, user, "zh-hans")
        return page

    yield open_as
    for context in contexts:
        context.close()


def shot(page, name):
    """The first screen, as the rep sees it, for review (not on CI, as `screenshot`)."""
    if not os.environ.get("CI"):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{name}-first-screen.png")
    screenshot(page, name)


def assert_fits_a_phone(page, what):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} scrolls sideways: {width}px"
    small = page.evaluate(SMALL_TARGETS, MIN_TAP)
    assert not small, f"{what}: tap targets under {MIN_TAP}px: {small}"


def open_menu(page):
    page.click(".navbar-toggler")
    page.locator("#main-nav.show").wait_for()


@pytest.fixture
def day_list(rep):
    """Twelve customers with follow-ups, some with two, one without a phone to call."""
    today = timezone.localdate()
    customers = []
    for n in range(12):
        customer = CustomerFactory(
            owner=rep,
            grade="ABC"[n % 3],
            name=f"青岛杰航精密机械{n + 1}号分公司",
            phones="" if n == 5 else "0532-88886666",
        )
        ContactFactory(customer=customer, name=f"王建国{n}", is_primary=True, phones=f"1390000{n:04d}")
        if n % 4 == 0:
            ContactFactory(
                customer=customer, name=f"李总{n}", buying_role=BuyingRole.DECISION_MAKER, phones=f"1380000{n:04d}"
            )
        due = today + datetime.timedelta(days=n % 5 - 2)
        Reminder.objects.create(customer=customer, assignee=rep, kind=ReminderKind.CADENCE, due_on=due)
        if n % 3 == 0:
            Reminder.objects.create(
                customer=customer, assignee=rep, kind=ReminderKind.NEXT_STEP, due_on=due, note="送样件"
            )
        customers.append(customer)
    return customers


def test_my_day_fits_eight_customers_on_the_first_screen_with_call_buttons(phone, rep, day_list):
    page = phone(rep)
    page.goto("/day/")
    rows = page.locator("[data-testid^=day-customer-]")
    assert rows.count() == 12  # one row per customer, however many reminders it has
    on_first_screen = [
        i for i in range(rows.count()) if (box := rows.nth(i).bounding_box())["y"] + box["height"] <= PHONE["height"]
    ]
    assert len(on_first_screen) >= 8, f"only {len(on_first_screen)} customers on the first screen"
    calls = page.locator("main a[href^='tel:']")
    assert calls.count() == 12  # the one without a company line still has its primary contact's mobile
    shot(page, "day-my-day")
    assert_fits_a_phone(page, "My day")

    # Pause and dismiss wait behind the row's menu, reachable by keyboard.
    first = rows.first
    first.locator("summary").focus()
    page.keyboard.press("Enter")
    assert first.get_by_role("link", name="暂停跟进").is_visible() or first.locator("a[href$='/pause/']").is_visible()
    assert first.locator("input[name=reason]").first.is_visible()
    shot(page, "day-row-menu")
    assert_fits_a_phone(page, "My day, a row's menu open")
    assert page.locator("main [data-testid=day-due]").first.inner_text() == "逾期 2 天"  # once translations merge


def test_after_a_call_the_day_offers_to_log_it_prefilled(phone, rep, day_list):
    boss = day_list[0].contacts.get(buying_role=BuyingRole.DECISION_MAKER)
    page = phone(rep)
    page.goto("/day/")
    call = page.locator(f"[data-testid=day-customer-{day_list[0].pk}] a[href^='tel:']")
    assert call.get_attribute("href") == f"tel:{boss.phones}"
    # The dialler cannot open in a headless browser: keep the page, let the tap be remembered.
    page.evaluate("document.addEventListener('click', (e) => e.target.closest('[data-call]') && e.preventDefault())")
    call.tap()
    page.reload()  # coming back to the page (pageshow), as after the phone app
    banner = page.get_by_test_id("call-log-banner")
    banner.wait_for()
    assert boss.name in banner.inner_text()
    shot(page, "day-log-this-call")
    banner.locator("[data-call-log]").tap()
    page.wait_for_url(lambda url: f"/customers/{day_list[0].pk}/log/?method=phone" in url)
    assert page.locator("#id_method").input_value() == "phone"
    assert page.is_checked(f"input[name=contacts][value='{boss.pk}']")
    page.fill("#id_discussion", "电话确认下周二到厂演示。")
    page.click("main button[type=submit]")
    page.wait_for_url(at_path("/day/"))
    assert page.get_by_test_id("call-log-banner").is_hidden()  # logged: no second offer
    visit = Visit.objects.get(customer=day_list[0])
    assert visit.method == "phone" and list(visit.contacts.all()) == [boss]


def test_visit_form_error_in_the_fold_is_visible_after_submit(phone, rep):
    customer = CustomerFactory(owner=rep, name="青岛杰航精密机械股份有限公司")
    ContactFactory(customer=customer, name="王建国", is_primary=True)
    page = phone(rep)
    page.goto(f"/customers/{customer.pk}/log/")
    assert_fits_a_phone(page, "visit form")
    assert page.locator("#id_next_step_owner").input_value() == str(rep.pk)
    page.fill("#id_discussion", "客户嫌报价高")
    page.click("#more-details summary")
    page.fill("#id_objection_text", "价格比同行高15%")  # without saying what kind of objection
    page.click("#more-details summary")  # folded again before saving
    page.click("main button[type=submit]")
    summary = page.get_by_test_id("error-summary")
    summary.wait_for()
    expect(summary).to_be_focused()  # by the script at the end of the page, which may run after the summary shows
    assert page.locator("#more-details").get_attribute("open") is not None
    assert page.locator("#id_objection_kind").is_visible()
    assert page.locator("#id_objection_text").input_value() == "价格比同行高15%"  # nothing typed is lost
    shot(page, "day-visit-form-error")
    # The save bar stays in view at the top of the page too.
    save = page.get_by_test_id("save-bar").bounding_box()
    assert save["y"] + save["height"] <= PHONE["height"]
    summary.locator("a[href='#id_objection_kind']").tap()
    expect(page.locator("#id_objection_kind")).to_be_focused()
    assert_fits_a_phone(page, "visit form with errors")
    # At the very bottom, the bar does not cover the last field.
    page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight)")
    last = page.locator("#id_help_needed").bounding_box()
    assert last["y"] + last["height"] <= page.get_by_test_id("save-bar").bounding_box()["y"]


def test_customer_card_key_actions_on_top_and_contact_added_in_place(phone, rep):
    customer = CustomerFactory(owner=rep, name="青岛杰航精密机械股份有限公司", phones="0532-88886666")
    ContactFactory(customer=customer, name="王建国", title="总经理", is_primary=True, phones="13800138000")
    Visit.objects.create(customer=customer, author=rep, started_at=timezone.now(), discussion="介绍了五轴加工中心")
    page = phone(rep)
    page.goto(f"/customers/{customer.pk}/")
    actions = page.get_by_test_id("card-actions")
    assert actions.bounding_box()["y"] + actions.bounding_box()["height"] <= PHONE["height"] / 2
    assert page.get_by_test_id("card-call").get_attribute("href") == "tel:13800138000"
    shot(page, "day-customer-card")
    assert_fits_a_phone(page, "customer card")

    page.get_by_test_id("card-add-contact").tap()
    form = page.locator("#contact-form-slot form")
    form.wait_for()
    page.wait_for_timeout(600)  # the smooth scroll
    box = form.bounding_box()
    assert -2 <= box["y"] < PHONE["height"] / 2, "the form opens where the rep is looking"
    expect(form.locator("input[name=name]")).to_be_focused()
    assert_fits_a_phone(page, "customer card, contact form open")
    page.fill("#contact-form-slot input[name=name]", "李秀英")
    page.locator("#contact-form-slot button[type=submit]").tap()
    saved = page.get_by_test_id("contact-saved")
    saved.wait_for()
    assert "李秀英" in saved.inner_text()
    assert customer.contacts.filter(name="李秀英").exists()


def test_registration_is_one_tap_from_the_phone_menu_and_pages_fit(phone, rep):
    CustomerFactory(name="青岛杰航精密机械（集团）有限公司胶州分公司", owner=None, pool_reason=PoolReason.LAPSED,
                    pool_since=timezone.now() - datetime.timedelta(days=3), industry="machinery")  # fmt: skip
    CustomerFactory(
        name="烟台新池中客户有限公司", owner=None, pool_reason=PoolReason.RELEASED, pool_since=timezone.now()
    )
    page = phone(rep)
    page.goto("/day/")
    open_menu(page)
    assert_fits_a_phone(page, "the open menu")
    page.locator("#main-nav a[href='/register/']").tap()
    page.wait_for_url("**/register/")
    assert_fits_a_phone(page, "registration")
    shot(page, "day-register")
    page.goto("/pool/")
    assert_fits_a_phone(page, "pool")
    shot(page, "day-pool")
