"""Every action without a mouse: the keys are Tab, Shift+Tab, Enter, Space, the arrows and Escape, nothing is clicked.

Each test reaches its controls by tabbing (so a control the keyboard cannot reach fails) and works them with keys."""

import pytest

from claims.models import Dispute, EventKind, OwnershipEvent
from claims.services import dispute_open
from crm.models import Customer
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_board import board_data, held  # noqa: F401 (board_data is a fixture)
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 150


def focused(page, selector):
    return page.evaluate("(selector) => document.activeElement.matches(selector)", selector)


def tab_to(page, selector, *, backwards=False):
    """Press Tab until the focus is on `selector`; fail if the keyboard never gets there."""
    for _ in range(MAX_TABS):
        if focused(page, selector):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    description = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"the keyboard never reached {selector} (focus ends on {description})")


def poll(condition, page, timeout_ms=5000):
    """Wait for a Python-side condition (the CSP forbids wait_for_function's string evaluation)."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("condition not met in time")


def test_board_filters_and_card_actions_by_keyboard(new_page, login, manager, rep, board_data):  # noqa: F811
    colleague = board_data
    page = new_page(viewport=DESKTOP)
    login(page, manager)
    page.wait_for_url("**/board/")

    tab_to(page, "[aria-controls=board-filters]")
    page.keyboard.press("Enter")
    page.locator("#board-filters.show").wait_for()
    tab_to(page, "#id_overdue")
    page.keyboard.press("Space")
    assert page.locator("#id_overdue").is_checked()
    tab_to(page, "[data-testid=apply-filters]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/board/?*overdue=on*")

    customer = Customer.objects.get(name="青岛杰航精密机械股份有限公司")
    card = page.get_by_test_id(f"card-{customer.pk}")
    tab_to(page, f"[data-testid=transfer-{customer.pk}]")
    page.keyboard.press("Enter")
    card.get_by_test_id("transfer-form").wait_for()
    poll(lambda: focused(page, f"#actions-{customer.pk} select[name=to_user]"), page)  # the form's first field
    while card.locator("select[name=to_user]").input_value() != str(colleague.pk):
        page.keyboard.press("ArrowDown")
    tab_to(page, f"#actions-{customer.pk} textarea[name=reason]")
    page.keyboard.type("The customer asked for another rep")
    tab_to(page, f"#actions-{customer.pk} button[type=submit]")
    page.keyboard.press("Space")
    card.get_by_test_id("notice").wait_for()
    poll(lambda: focused(page, "[data-testid=notice]"), page)  # what was done is where the keyboard is
    assert card.get_by_test_id("owner").inner_text() == str(colleague)
    assert OwnershipEvent.objects.filter(customer=customer, kind=EventKind.TRANSFERRED, to_user=colleague).exists()

    other = Customer.objects.get(name="潍坊恒锐数控设备有限公司")
    tab_to(page, f"[data-testid=grade-{other.pk}]")
    page.keyboard.press("Enter")
    slot = page.locator(f"#actions-{other.pk}")
    slot.locator("form").wait_for()
    poll(lambda: focused(page, f"#actions-{other.pk} :is(select, input, textarea)"), page)
    tab_to(page, f"#actions-{other.pk} [data-testid=cancel]")
    page.keyboard.press("Enter")
    poll(lambda: slot.locator("form").count() == 0, page)
    poll(lambda: focused(page, f"[data-testid=grade-{other.pk}]"), page)  # back where the keyboard came from


def test_the_dispute_decision_by_keyboard(new_page, login, manager, rep):
    colleague = UserFactory(role="rep", team=rep.team)
    customer = held(rep, "青岛杰航机械有限公司", "A", 3)
    dispute = dispute_open(customer=customer, actor=colleague, statement="我三月在展会先接触")
    page = new_page(viewport=DESKTOP)
    login(page, manager)
    page.goto(f"/disputes/{dispute.pk}/")

    tab_to(page, "input[name=outcome]")  # a radio group is one Tab stop; its arrows choose
    for _ in range(5):
        if page.locator("input[name=outcome][value=split]").is_checked():
            break
        page.keyboard.press("ArrowDown")
    assert page.locator("input[name=outcome][value=split]").is_checked()
    tab_to(page, "[name=holder_share]")
    page.keyboard.type("60")
    assert page.get_by_test_id("challenger-share").inner_text() == "40"
    tab_to(page, "[name=reason]")
    page.keyboard.type("两人都有拜访记录")
    tab_to(page, "[data-testid=decide-form] button[type=submit]")
    page.keyboard.press("Enter")
    poll(lambda: Dispute.objects.get(pk=dispute.pk).state == "decided", page)
    decided = Dispute.objects.get(pk=dispute.pk)
    assert (decided.outcome, decided.holder_share, decided.challenger_share) == ("split", 60, 40)


def test_customer_filters_by_keyboard(new_page, login, rep):
    held(rep, "青岛杰航机械有限公司", "A", 3)
    held(rep, "烟台新宇汽车零部件有限公司", "B", -5)
    page = new_page(viewport=DESKTOP)
    login(page, rep)
    page.goto("/customers/")

    tab_to(page, "#customer-filter [name=q]")
    page.keyboard.type("杰航")
    page.keyboard.press("Enter")
    page.wait_for_url("**/customers/?*q=*")
    assert "烟台新宇" not in page.locator("main").inner_text()

    tab_to(page, "[aria-controls=more-filters]")
    page.keyboard.press("Space")
    page.locator("#more-filters.show").wait_for()
    tab_to(page, "#more-filters [name=overdue]")
    page.keyboard.press("ArrowDown")  # a select: the keyboard steps through its options
    chosen = page.locator("#more-filters [name=overdue]").input_value()
    tab_to(page, "#customer-filter button[type=submit]", backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/?*overdue={chosen}*")


def test_phone_menu_and_user_dropdown_by_keyboard(new_page, login, rep):
    page = new_page(viewport=PHONE)
    login(page, rep)

    tab_to(page, ".navbar-toggler")
    page.keyboard.press("Enter")
    page.locator("#main-nav.show").wait_for()
    assert page.locator(".navbar-toggler").get_attribute("aria-expanded") == "true"

    tab_to(page, "[data-testid=user-menu]")
    page.keyboard.press("Space")  # a link acting as a button opens on Space as on Enter
    menu = page.locator("[data-testid=user-menu] + .dropdown-menu")
    poll(menu.is_visible, page)
    page.keyboard.press("ArrowDown")
    assert focused(page, ".dropdown-menu .dropdown-item")
    page.keyboard.press("Escape")
    poll(lambda: not menu.is_visible(), page)
    assert focused(page, "[data-testid=user-menu]")
    page.keyboard.press("Enter")
    poll(menu.is_visible, page)
    page.keyboard.press("Escape")

    tab_to(page, "#main-nav a.nav-link[href='/customers/']", backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/customers/")


def test_a_select_that_submits_waits_for_the_keyboard_to_choose(new_page, login, rep):
    page = new_page(viewport=DESKTOP)
    login(page, rep)
    page.goto("/customers/")
    tab_to(page, "[data-testid=user-menu]")
    page.keyboard.press("Enter")  # the language is in the user menu
    tab_to(page, "#language-select")
    page.keyboard.press("ArrowDown")  # passing an option is not choosing it
    page.wait_for_timeout(300)
    assert page.url.endswith("/customers/") and page.locator("html").get_attribute("lang") == "en"
    page.keyboard.press("Enter")
    poll(lambda: page.locator("html").get_attribute("lang") == "zh-hans", page)
    assert page.url.endswith("/customers/")
