"""axe-core over every HTML page of the permission matrix, and over the states pages pass through.

Any critical or serious violation fails, named by rule, element and page, and so does a page wider than the
screen. The runtime is bounded: every
role's full URL set is scanned at one combination (phone width, Chinese, light); the other combinations
(desktop, English, dark) scan each URL once, as the first role that gets it, with one model's pages standing
for the Django admin's per-model pages. One browser context per role and combination, no screenshots.
"""

import time

import pytest
from django.conf import settings

from tests.browser.axe import AXE_SOURCE, scan
from tests.browser.test_board import held
from tests.factories import UserFactory
from tests.security.matrix import EXPECTED, ROLES
from tests.security.test_permission_matrix import ROUTES, _session, build_world, url_for, variants

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
WIDE = {"width": 1440, "height": 900}
# (viewport, language, colour scheme): the first is scanned in full, the others over the subset.
FULL = (PHONE, "zh-hans", "light")
OTHERS = [
    [(PHONE, "en", "light"), (WIDE, "zh-hans", "light")],
    [(WIDE, "en", "dark"), (PHONE, "zh-hans", "dark")],
]
# The full set, in two halves of about equal time: the admin's 114 pages, and everyone else's.
ROLE_GROUPS = [["admin"], [role for role in ROLES if role != "admin"]]
# The Django admin's pages per model share their templates: one model's stand for the others in the subset.
ADMIN_SAMPLE_MODEL = "admin:accounts_user_"
# Who asks each URL in the subset: the first of these that gets a 200.
SUBSET_ROLES = ["owner", "manager", "admin", "anonymous", "other_team_rep", "same_team_rep"]


@pytest.fixture
def world(transactional_db):
    """The permission matrix's world, plus a fuller board and a rep with nothing yet, committed: the live server
    reads it from its own connection. Building it takes seconds, so each test below covers several scans."""
    built = build_world()
    for days, grade in ((12, "A"), (3, "B"), (-4, "C")):
        held(built.owner, f"青岛无障碍测试机械有限公司{grade}", grade, days)
    built.sessions["newcomer"] = _session(UserFactory(role="rep", team=built.team_a))
    return built


def combination_id(combination):
    viewport, language, scheme = combination
    return f"{viewport['width']}-{language}-{scheme}"


# Pages that are not ours to mend, each with why. Swagger UI (the API's reference for programmers) nests its
# controls and colours its method badges itself; its markup is the library's, rendered in the browser.
NOT_SCANNED = {"api:docs": "Swagger UI's own markup"}


def matrix_urls(role, world):
    """(key, url) of every URL the matrix expects `role` to GET with a 200, but for NOT_SCANNED."""
    for key, route in ROUTES.items():
        if key in EXPECTED and EXPECTED[key][role][0] == 200 and key not in NOT_SCANNED:
            for variant in variants(route):
                yield key, url_for(key, world, variant)


def open_page(browser, live_server, world, role, combination):
    viewport, language, scheme = combination
    locale = "zh-CN" if language == "zh-hans" else "en-US"
    # Reduced motion: Bootstrap then drops its transitions, so axe reads a button's colours at rest, not midway
    # through the fade that follows a click (a contrast of 1.4 that no one ever sees for long).
    context = browser.new_context(
        viewport=viewport, base_url=live_server.url, color_scheme=scheme, locale=locale, reduced_motion="reduce"
    )
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    if role != "anonymous":
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": world.sessions[role], "url": live_server.url})
    context.add_cookies(cookies)
    # axe in every document the context opens, sent to the browser once: injecting its 500 KB into each page
    # after loading took a tenth of a second a page (scan() then finds it there).
    context.add_init_script(AXE_SOURCE)
    return context.new_page()


def whole_pages(page, urls):
    """Of `urls` (each a 200 in the matrix), those that are whole HTML pages. A PDF, CSV or calendar would start a
    download; an htmx fragment (the customer suggestions) is scanned in its page after a swap (the states below)."""
    kept = []
    for key, url in urls:
        response = page.context.request.get(url, max_redirects=0)
        assert response.status == 200, f"{url}: {response.status}, the matrix expects 200"
        html = response.headers.get("content-type", "").startswith("text/html")
        if html and response.text().lstrip().lower().startswith("<!doctype html"):
            kept.append((key, url))
    return kept


def scan_all(page, urls, label):
    """axe's findings on each page, and a page wider than the screen (nothing may scroll sideways, phone or desk)."""
    problems = []
    for _key, url in urls:
        response = page.goto(url)
        assert response.status == 200, f"{label} {url}: {response.status}"
        problems += scan(page, f"{label} {url}")
        width, screen = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        if width > screen:
            problems.append(f"{label} {url} scrolls sideways: {width}px on a {screen}px screen")
    return problems


def report(problems, scanned, label, started):
    """The count and time for the run's log (pytest -s), and the problems, for one assertion at the end."""
    print(f"axe {label}: {scanned} pages in {time.monotonic() - started:.1f}s, {len(problems)} violations")
    return problems


def assert_none(problems):
    assert not problems, f"{len(problems)} serious or critical violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("roles", ROLE_GROUPS, ids=["admin", "others"])
def test_every_matrix_page_of_every_role(browser, live_server, world, roles):
    started, problems, scanned = time.monotonic(), [], 0
    for role in roles:
        page = open_page(browser, live_server, world, role, FULL)
        urls = whole_pages(page, matrix_urls(role, world))
        problems += scan_all(page, urls, f"{role} {combination_id(FULL)}")
        scanned += len(urls)
        page.context.close()
    assert_none(report(problems, scanned, f"{'+'.join(roles)} {combination_id(FULL)}", started))


def admin_model_page(key):
    return key.startswith("admin:") and key.endswith(("_changelist", "_add", "_change", "_delete", "_history"))


def subset(world):
    """{key: (role, url)}: each URL once, as the first of SUBSET_ROLES that gets it, admin pages sampled."""
    chosen = {}
    for role in SUBSET_ROLES:
        for key, url in matrix_urls(role, world):
            if not admin_model_page(key) or key.startswith(ADMIN_SAMPLE_MODEL):
                chosen.setdefault(key, (role, url))
    return chosen


@pytest.mark.parametrize("combinations", OTHERS, ids=lambda pair: "+".join(map(combination_id, pair)))
def test_each_page_at_other_widths_languages_and_schemes(browser, live_server, world, combinations):
    by_role, failures = {}, []
    for key, (role, url) in subset(world).items():
        by_role.setdefault(role, []).append((key, url))
    for combination in combinations:
        started, problems, scanned = time.monotonic(), [], 0
        for role, urls in by_role.items():
            page = open_page(browser, live_server, world, role, combination)
            pages = whole_pages(page, urls)
            problems += scan_all(page, pages, f"{role} {combination_id(combination)}")
            scanned += len(pages)
            page.context.close()
        failures += report(problems, scanned, combination_id(combination), started)
    assert_none(failures)


# --- The states a page passes through -------------------------------------------------------------------------
# Each at both widths, in both languages and both colour schemes (four runs, each width and language once light).
STATE_COMBINATIONS = [
    [(PHONE, "zh-hans", "light"), (WIDE, "zh-hans", "dark")],
    [(WIDE, "en", "light"), (PHONE, "en", "dark")],
]
ERRORS = ".is-invalid, .invalid-feedback, .errorlist, .alert-danger"


def submit_emptied(page, form):
    """Clear every field a person types into and send the form: the page comes back with its errors."""
    form.evaluate(
        """(form) => {
            form.noValidate = true;
            const typed = ["text", "tel", "email", "number", "date", "datetime-local", "password"];
            for (const field of form.querySelectorAll(typed.map((t) => `input[type=${t}]`).join() + ", textarea")) {
                field.value = "";
            }
        }"""
    )
    form.locator("[type=submit]").first.click()


def form_with_errors(path, form="main form[method=post]"):
    def act(page):
        page.goto(path)
        submit_emptied(page, page.locator(form).last)
        page.locator(ERRORS).first.wait_for()

    return act


def visit(path):
    return lambda page: page.goto(path)


def open_menus(page):
    page.goto("/day/")
    if page.locator(".navbar-toggler").is_visible():
        page.click(".navbar-toggler")
        page.locator("#main-nav.show").wait_for()
    page.click("[data-testid=user-menu]")
    page.locator(".dropdown-menu.show").wait_for()


def open_filters(page):
    page.goto("/customers/")
    page.click("[data-bs-target='#more-filters']")
    page.locator("#more-filters.show").wait_for()


def contact_form_in_place_with_errors(customer):
    def act(page):
        page.goto(f"/customers/{customer.pk}/")
        page.click(f"a[hx-get='/customers/{customer.pk}/contacts/new/']")
        form = page.locator("#contact-form-slot form")
        form.wait_for()
        submit_emptied(page, form)
        page.locator(f"#contact-form-slot :is({ERRORS})").first.wait_for()

    return act


def day_menu_and_call_banner(page):
    """My day with the first row's menu open and the "log this call" offer shown."""
    page.goto("/day/")
    log_url = page.locator("[data-call]").first.get_attribute("data-log-url")
    page.evaluate("(url) => sessionStorage.setItem('crm.day.lastCall', JSON.stringify({url, at: Date.now()}))", log_url)
    page.reload()
    page.get_by_test_id("call-log-banner").wait_for()
    page.locator("details.day-menu > summary").first.click()
    page.locator("details.day-menu[open] .day-menu-panel").wait_for()


def board_action_in_place(customer, action):
    def act(page):
        page.goto(f"/board/?team={customer.owner.team_id}")
        page.click(f"[data-testid={action}-{customer.pk}]")
        page.locator(f"#actions-{customer.pk} form").wait_for()

    return act


def search_open(query, shown):
    """The search box open over the page with its results (a phone opens it from the bar's search button)."""

    def act(page):
        page.goto("/day/")
        if page.locator("[data-testid=search-toggle]").is_visible():
            page.click("[data-testid=search-toggle]")
            page.locator("#site-search.show").wait_for()
        page.locator("#search-input").fill(query)
        page.locator(f"#search-popup [data-testid={shown}]").first.wait_for()
        page.keyboard.press("ArrowDown")

    return act


def recent_customers_open(customer):
    def act(page):
        page.goto(f"/customers/{customer.pk}/")  # opened: now a recent customer
        search_open("", "search-customer")(page)

    return act


def shortcuts_help_open(page):
    page.goto("/customers/")
    page.keyboard.press("?")
    page.locator("#shortcuts-help.show").wait_for()


def deal_move_refused(deal, stage_index):
    """The deal page after a forward move it is not ready for: the list of what is missing, the form's errors."""

    def act(page):
        page.goto(f"/deals/{deal.pk}/")
        page.select_option("#id_to_stage", index=stage_index)
        page.click("[data-testid=move-form] [type=submit]")
        page.get_by_test_id("missing").wait_for()

    return act


def pipeline_filters_open(page):
    page.goto("/deals/")
    page.click("[data-bs-target='#deal-filters']")
    page.locator("#deal-filters.show").wait_for()


def failed_login(page):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "nobody-a11y")
    page.fill("input[name=password]", "wrong")
    page.click("main button[type=submit]")
    page.locator(ERRORS).first.wait_for()


def targets_refused(team):
    """The targets grid sent back with a box a person typed words into."""

    def act(page):
        page.goto(f"/board/targets/?team={team.pk}")
        page.locator("[data-testid=targets-form] input[type=text]").first.fill("三十万")
        page.get_by_test_id("save-targets").click()
        page.locator(ERRORS).first.wait_for()

    return act


def states(world, newcomer):
    """(role, state name, what brings the page to that state)."""
    customer = world.customer
    return [
        ("anonymous", "login refused", failed_login),
        ("owner", "registration with errors", form_with_errors("/register/", "#register-form")),
        ("owner", "visit log with errors", form_with_errors(f"/customers/{customer.pk}/log/")),
        ("owner", "complaint with errors", form_with_errors(f"/complaints/new/{customer.pk}/")),
        ("owner", "contact form in place, with errors", contact_form_in_place_with_errors(customer)),
        ("owner", "menus open", open_menus),
        ("owner", "my day, a row menu and the call offer open", day_menu_and_call_banner),
        ("owner", "filters open", open_filters),
        ("owner", "deal move refused, what is missing listed", deal_move_refused(world.deal, 2)),
        ("manager", "pipeline filters open", pipeline_filters_open),
        ("owner", "search results open", search_open(customer.name[:4], "search-customer")),
        ("other_team_rep", "search: held by someone else", search_open(customer.name[:4], "search-hidden")),
        ("owner", "recent customers open", recent_customers_open(customer)),
        ("owner", "shortcuts help open", shortcuts_help_open),
        *[
            (newcomer, f"empty {path}", visit(path))
            for path in ("/day/", "/customers/", "/complaints/", "/disputes/", "/deals/")
        ],
        ("manager", "board with data", visit(f"/board/?team={world.team_a.pk}")),
        ("manager", "board transfer in place", board_action_in_place(customer, "transfer")),
        ("manager", "board grade in place", board_action_in_place(customer, "grade")),
        ("manager", "forecast with data", visit(f"/board/forecast/?team={world.team_a.pk}")),
        ("manager", "targets with errors", targets_refused(world.team_a)),
    ]


@pytest.mark.parametrize("combinations", STATE_COMBINATIONS, ids=lambda pair: "+".join(map(combination_id, pair)))
def test_states_that_matter(browser, live_server, world, combinations):
    failures = []
    for combination in combinations:
        started, problems, pages = time.monotonic(), [], {}
        for role, name, act in states(world, "newcomer"):
            if role not in pages:
                pages[role] = open_page(browser, live_server, world, role, combination)
            page = pages[role]
            act(page)
            problems += scan(page, f"{role} {combination_id(combination)} {name} ({page.url})")
        for page in pages.values():
            page.context.close()
        failures += report(problems, len(states(world, "newcomer")), f"states {combination_id(combination)}", started)
    assert_none(failures)
