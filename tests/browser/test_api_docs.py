"""The API's documentation page (Swagger UI from our own static files) runs under the site's strict CSP, and the
profile page makes a token that then opens the API."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_makes_a_token_and_reads_the_documentation(new_page, login, rep):
    page = new_page(viewport=PHONE)
    blocked = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    login(page, rep)
    page.goto("/accounts/profile/")
    page.fill("input[name=name]", "ERP")
    page.get_by_test_id("create-token").click()
    key = page.locator("#new-key")
    expect(key).to_have_value(re.compile(r"^crm_[0-9a-f]{8}_"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "profile-token-phone")
    page.goto("/api/v1/docs/")
    expect(page.get_by_text("/api/v1/customers/register/").first).to_be_visible()
    assert blocked == [], blocked
