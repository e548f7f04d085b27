"""The search box at phone width, by touch and in Chinese; the keyboard shortcuts at desktop width."""

import pytest
from playwright.sync_api import expect

from crm.models import RecentCustomer
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.factories import ContactFactory, CustomerFactory, UserFactory
from tests.polling import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="zh-CN", has_touch=True, is_mobile=True
    )
    yield context.new_page()
    context.close()


def open_search(page):
    """One tap on the bar's search button: the box opens with the focus in it."""
    page.get_by_test_id("search-toggle").tap()
    page.locator("#site-search.show").wait_for()
    expect(page.locator("#search-input")).to_be_focused()


def popup_text(page, testid):
    page.locator(f"#search-popup [data-testid={testid}]").first.wait_for()
    return page.locator("#search-popup").inner_text()


def test_four_digits_of_a_contacts_mobile_find_the_contact_and_its_customer(phone, login, rep, team):
    colleague = UserFactory(role="rep", team=team, first_name="", last_name="", username="李娜")
    customer = CustomerFactory(name="青岛杰航精密机械有限公司", owner=rep, phones="0532-88886666")
    ContactFactory(customer=customer, name="王晓明", title="设备部经理", phones="138 0013 8000")
    CustomerFactory(name="青岛海川重工有限公司", owner=colleague, phones="0532-66668000")
    for n in range(3):
        CustomerFactory(name=f"青岛远航{n}号机床有限公司", owner=rep)
    login(phone, rep, "zh-hans")

    open_search(phone)
    phone.keyboard.type("8000")  # the last digits a missed call shows
    text = popup_text(phone, "search-contact")
    assert "王晓明" in text and "青岛杰航精密机械有限公司" in text
    # A colleague's customer with such a number exists, and only that is said, with its holder.
    hidden = phone.get_by_test_id("search-hidden")
    assert "青岛海川重工有限公司" in hidden.inner_text() and "李娜" in hidden.inner_text()
    assert "0532-66668000" not in text
    assert phone.locator("#search-popup a").count() == 0
    assert phone.get_attribute("#search-input", "aria-expanded") == "true"
    assert "尾号为 8000 的电话号码" in phone.get_by_test_id("search-phone-tail").inner_text()
    screenshot(phone, "search-results-phone-zh")

    phone.get_by_test_id("search-contact").first.tap()
    phone.wait_for_url(f"**/customers/{customer.pk}/#contacts")


def test_a_rep_sees_only_who_holds_a_colleagues_customer(phone, login, rep, team):
    colleague = UserFactory(role="rep", team=team, first_name="", last_name="", username="张伟")
    theirs = CustomerFactory(name="烟台恒锐重工有限公司", owner=colleague)
    ContactFactory(customer=theirs, name="孙立新", phones="13655556666")
    login(phone, rep, "zh-hans")
    open_search(phone)
    phone.keyboard.type("恒锐")
    hidden = phone.get_by_test_id("search-hidden")
    hidden.wait_for()
    # The duplicate check's words (registration page): “name” 已登记：张伟 持有。 once translations merge.
    assert "烟台恒锐重工有限公司" in hidden.inner_text() and "张伟" in hidden.inner_text()
    assert hidden.get_attribute("aria-disabled") == "true" and hidden.get_attribute("data-href") is None
    assert phone.get_by_test_id("search-contact").count() == 0 and phone.get_by_test_id("search-customer").count() == 0
    phone.keyboard.press("Enter")  # no hit to open: the results page, which names it the same way
    phone.wait_for_url("**/search/?q=*")
    assert phone.get_by_test_id("search-hidden").is_visible()
    assert f"/customers/{theirs.pk}/" not in phone.content()


def test_recent_customers_when_the_box_is_empty(phone, login, rep):
    customers = [CustomerFactory(name=f"潍坊{city}机械有限公司", owner=rep) for city in ("高新", "寿光", "诸城")]
    for customer in customers:
        RecentCustomer.objects.note(user=rep, customer=customer)
    login(phone, rep, "zh-hans")
    screenshot(phone, "search-closed-phone-zh")
    open_search(phone)
    text = popup_text(phone, "search-recent")
    assert text.index("潍坊诸城机械有限公司") < text.index("潍坊高新机械有限公司")  # newest first
    screenshot(phone, "search-recent-phone-zh")


def test_keyboard_and_shortcuts_at_desktop_width(new_page, login, rep):
    customer = CustomerFactory(name="日照港机装备有限公司", owner=rep)
    CustomerFactory(name="日照港口机械有限公司", owner=rep)
    page = new_page(viewport=DESKTOP)
    login(page, rep)
    page.goto(f"/customers/{customer.pk}/")
    page.keyboard.press("/")
    expect(page.locator("#search-input")).to_be_focused()
    page.keyboard.type("日照")
    page.locator("#search-popup [data-testid=search-customer]").nth(1).wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    active = page.get_attribute("#search-input", "aria-activedescendant")
    assert page.get_attribute(f"#{active}", "aria-selected") == "true"
    page.keyboard.press("Escape")
    assert page.locator("#search-popup").is_hidden()
    assert page.get_attribute("#search-input", "aria-expanded") == "false"

    page.locator("main h1").first.click()  # out of the box: the shortcuts work again
    page.keyboard.press("?")
    page.locator("#shortcuts-help.show").wait_for()
    assert "Log a visit" in page.locator("#shortcuts-help").inner_text()
    wait_until(
        lambda: page.evaluate("document.activeElement.closest('#shortcuts-help') !== null"), seconds=10
    )  # when shown
    page.keyboard.press("Escape")
    page.locator("#shortcuts-help").wait_for(state="hidden")

    page.keyboard.press("v")
    page.wait_for_url(f"**/customers/{customer.pk}/log/**")
    page.keyboard.press("/")  # typing in a form: "/" is a character, not a shortcut
    page.goto("/customers/")
    page.locator("#search-input").fill("港机")
    page.locator("#search-popup [data-testid=search-customer]").first.wait_for()
    page.keyboard.press("Enter")  # no option chosen: the best hit
    page.wait_for_url(f"**/customers/{customer.pk}/")


def test_a_full_group_links_to_every_match_in_the_list(phone, login, rep):
    for n in range(9):
        CustomerFactory(name=f"日照港机{n}号装备有限公司", owner=rep)
    page = phone
    login(page, rep)
    page.goto("/customers/")
    open_search(page)
    page.locator("#search-input").fill("港机")
    every = page.locator("#search-popup [data-testid=search-every-customer]")
    every.wait_for()
    screenshot(page, "search-every-customer-phone")
    every.tap()
    page.wait_for_url("**/customers/?q=*")
    assert page.locator("main").get_by_text("日照港机8号装备有限公司").count() == 1  # the ninth, not in the box
