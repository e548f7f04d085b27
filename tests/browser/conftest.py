import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import missing_service
from tests.factories import PASSWORD

# Playwright's sync API runs an event loop; Django's live-server tests touch the ORM from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        missing_service("needs Debian's chromium (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture
def new_page(browser, live_server):
    """A page factory: new_page(viewport, language) in a fresh browser context."""
    contexts = []

    def make(viewport=DESKTOP, language="en"):
        context = browser.new_context(
            viewport=viewport, base_url=live_server.url, locale="zh-CN" if language == "zh-hans" else "en-US"
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name):
    """Keep a picture of what a person would see, for review (gitignored). Not on CI, where no one looks at them
    and a full-page picture of each page costs seconds; a failing test still leaves its own (pytest-playwright)."""
    if os.environ.get("CI"):
        return
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


@pytest.fixture
def login(live_server):
    """Log `user` in through the login page, in `language`."""

    def log_in(page, user, language="en"):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")

    return log_in


def at_path(path):
    """For wait_for_url: the page is at `path` itself. A glob such as "**/day/" also matches the form the page is
    leaving when its address ends in "?next=/day/", and would not wait for the post at all."""
    return lambda url: urlsplit(url).path == path
