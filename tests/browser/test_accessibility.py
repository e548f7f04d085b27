"""axe-core over every HTML page of the permission matrix, and over the states pages pass through.

Any critical or serious violation fails, named by rule, element and page. The runtime is bounded: every
role's full URL set is scanned at one combination (phone width, Chinese, light); the other combinations
(desktop, English, dark) scan each URL once, as the first role that gets it, with one model's pages standing
for the Django admin's per-model pages. One browser context per role and combination, no screenshots.
"""

import time

import pytest
from django.conf import settings

from tests.browser.axe import scan
from tests.security.matrix import EXPECTED, ROLES
from tests.security.test_permission_matrix import ROUTES, build_world, url_for, variants

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
WIDE = {"width": 1440, "height": 900}
# (viewport, language, colour scheme): the first is scanned in full, the others over the subset.
FULL = (PHONE, "zh-hans", "light")
OTHERS = [
    (PHONE, "en", "light"),
    (WIDE, "zh-hans", "light"),
    (WIDE, "en", "light"),
    (PHONE, "zh-hans", "dark"),
    (WIDE, "en", "dark"),
]
# The Django admin's pages per model share their templates: one model's stand for the others in the subset.
ADMIN_SAMPLE_MODEL = "admin:accounts_user_"
# Who asks each URL in the subset: the first of these that gets a 200.
SUBSET_ROLES = ["owner", "manager", "admin", "anonymous", "other_team_rep", "same_team_rep"]


def combination_id(combination):
    viewport, language, scheme = combination
    return f"{viewport['width']}-{language}-{scheme}"


def matrix_urls(role, world):
    """(key, url) of every URL the matrix expects `role` to GET with a 200."""
    for key, route in ROUTES.items():
        if key in EXPECTED and EXPECTED[key][role][0] == 200:
            for variant in variants(route):
                yield key, url_for(key, world, variant)


def open_page(browser, live_server, world, role, combination):
    viewport, language, scheme = combination
    locale = "zh-CN" if language == "zh-hans" else "en-US"
    context = browser.new_context(viewport=viewport, base_url=live_server.url, color_scheme=scheme, locale=locale)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    if role != "anonymous":
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": world.sessions[role], "url": live_server.url})
    context.add_cookies(cookies)
    return context.new_page()


def whole_pages(page, urls):
    """Of `urls`, those that answer 200 with a whole HTML page. A PDF, CSV or calendar would start a download;
    an htmx fragment (the customer suggestions) is scanned in its page after the swap (test_states_axe)."""
    kept = []
    for key, url in urls:
        response = page.context.request.get(url, max_redirects=0)
        if (
            response.status == 200
            and response.headers.get("content-type", "").startswith("text/html")
            and response.text().lstrip().lower().startswith("<!doctype html")
        ):
            kept.append((key, url))
    return kept


def scan_all(page, urls, label):
    problems = []
    for _key, url in urls:
        response = page.goto(url)
        assert response.status == 200, f"{label} {url}: {response.status}"
        problems += scan(page, f"{label} {url}")
    return problems


def report(problems, scanned, label, started):
    print(f"axe {label}: {scanned} pages in {time.monotonic() - started:.1f}s, {len(problems)} violations")
    assert not problems, f"{len(problems)} serious or critical violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_every_matrix_page_of_every_role(browser, live_server, role):
    started, world = time.monotonic(), build_world()
    page = open_page(browser, live_server, world, role, FULL)
    urls = whole_pages(page, matrix_urls(role, world))
    label = f"{role} {combination_id(FULL)}"
    report(scan_all(page, urls, label), len(urls), label, started)


def admin_model_page(key):
    return key.startswith("admin:") and key.endswith(("_changelist", "_add", "_change", "_delete", "_history"))


def subset(world):
    """(role, key, url): each URL once, as the first of SUBSET_ROLES that gets it, admin pages sampled."""
    chosen = {}
    for role in SUBSET_ROLES:
        for key, url in matrix_urls(role, world):
            if not admin_model_page(key) or key.startswith(ADMIN_SAMPLE_MODEL):
                chosen.setdefault(key, (role, url))
    return chosen


@pytest.mark.parametrize("combination", OTHERS, ids=combination_id)
def test_each_page_at_other_widths_languages_and_schemes(browser, live_server, combination):
    started, world = time.monotonic(), build_world()
    by_role = {}
    for key, (role, url) in subset(world).items():
        by_role.setdefault(role, []).append((key, url))
    problems, scanned = [], 0
    for role, urls in by_role.items():
        page = open_page(browser, live_server, world, role, combination)
        urls = whole_pages(page, urls)
        problems += scan_all(page, urls, f"{role} {combination_id(combination)}")
        scanned += len(urls)
        page.context.close()
    report(problems, scanned, combination_id(combination), started)
