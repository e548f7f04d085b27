import pytest

from tests.browser.conftest import PHONE, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_logs_in_and_out_in_chinese_on_a_phone(new_page, rep):
    page = new_page(viewport=PHONE, language="zh-hans")
    page.goto("/")
    assert "/accounts/login/" in page.url
    page.select_option("#language-select", "zh-hans")
    page.wait_for_selector("text=登录")
    screenshot(page, "login-zh-phone")

    page.fill("input[name=username]", rep.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "今日工作"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "home-zh-phone")

    page.click(".navbar-toggler")
    page.wait_for_selector("#main-nav.show")  # the menu has finished unfolding: no click lands mid-animation
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").wait_for(state="visible")
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/accounts/login/")
    assert page.locator("h1").inner_text() == "登录"
