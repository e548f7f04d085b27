"""Colour mode and keyboard basics in a real browser: the system's setting is followed, the
switch in the navigation bar overrides it and is remembered, the skip link and focus rings show."""

import pytest

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BACKGROUND = "getComputedStyle(document.body).backgroundColor"


def theme(page):
    return page.evaluate("document.documentElement.dataset.bsTheme")


def turns(page, mode, seconds=5):
    """The page's mode once the script has answered the change (a media change is handled asynchronously).
    Polled from here: the page's CSP forbids the string evaluation that wait_for_function would use."""
    for _ in range(seconds * 20):
        if theme(page) == mode:
            break
        page.wait_for_timeout(50)
    return theme(page)


def choose(page, mode):
    """The switch sits in the user menu (on a phone behind the menu button, so that pages start with their own
    content); choosing leaves the menu open."""
    switch = page.get_by_test_id("theme-switch")
    assert not switch.is_visible()
    page.locator(".navbar-toggler").click()
    page.locator("#main-nav.show").wait_for()
    page.get_by_test_id("user-menu").click()
    switch.select_option(mode)
    assert switch.is_visible()


def test_the_page_follows_the_system_until_the_person_chooses(new_page, login, rep):
    page = new_page(viewport=PHONE)
    page.emulate_media(color_scheme="dark")
    login(page, rep)
    assert theme(page) == "dark"
    assert page.evaluate(BACKGROUND) == "rgb(43, 48, 53)", "the page's grey, dark"
    assert page.get_by_test_id("theme-switch").input_value() == "auto"

    page.emulate_media(color_scheme="light")
    assert turns(page, "light") == "light", "auto follows the system as it changes"

    choose(page, "dark")
    assert turns(page, "dark") == "dark"
    page.goto("/customers/")
    assert theme(page) == "dark", "the choice is remembered from page to page, whatever the system says"
    assert page.get_by_test_id("theme-switch").input_value() == "dark"

    choose(page, "auto")
    page.reload()
    assert theme(page) == "light"


def test_skip_link_and_focus_are_visible(new_page, rep, login):
    page = new_page(viewport=DESKTOP)
    login(page, rep)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("(link) => link === document.activeElement")
    assert skip.bounding_box()["y"] >= 0, "the focused skip link comes into view"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.locator(".navbar .nav-link").first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.locator(".navbar .nav-link").first.evaluate(
        "(link) => { const s = getComputedStyle(link); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert outline == ["solid", "3px", "rgb(255, 218, 106)"], "a ring that shows on the dark navigation bar"
