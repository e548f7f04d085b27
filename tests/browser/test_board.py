"""The manager's follow-up board in a browser, in Chinese: filter to one rep's overdue A customers, reassign one."""

import datetime

import pytest
from django.utils import timezone

from claims.models import Claim, EventKind, OwnershipEvent
from crm.models import BuyingRole, Customer
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, screenshot
from tests.factories import ContactFactory, CustomerFactory, UserFactory
from visits.models import Method, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def held(owner, name, grade, overdue_days, *, method=Method.ONSITE, decision_maker=True, contacts=()):
    today = timezone.localdate()
    customer = CustomerFactory(
        name=name,
        owner=owner,
        grade=grade,
        next_follow_up_on=today - datetime.timedelta(days=overdue_days),
        created_at=timezone.now() - datetime.timedelta(days=400),
    )
    Claim.objects.create(
        customer=customer, holder=owner, renewed_on=today, protected_until=today + datetime.timedelta(days=60)
    )
    Visit.objects.create(
        customer=customer,
        author=owner,
        method=method,
        started_at=timezone.now() - datetime.timedelta(days=overdue_days + 7),
        discussion="介绍五轴加工中心",
        next_step="发送报价单",
        next_step_due=today + datetime.timedelta(days=3),
    )
    for days_ago in contacts:
        Visit.objects.create(
            customer=customer,
            author=owner,
            method=Method.PHONE,
            started_at=timezone.now() - datetime.timedelta(days=days_ago),
            discussion="电话回访",
        )
    if decision_maker:
        ContactFactory(customer=customer, name="张总", buying_role=BuyingRole.DECISION_MAKER)
    return customer


@pytest.fixture
def board_data(team, manager, rep):
    manager.first_name, manager.last_name = "志强", "赵"
    manager.save()
    rep.first_name, rep.last_name = "建国", "王"
    rep.save()
    colleague = UserFactory(role="rep", team=team, first_name="丽", last_name="李")
    held(rep, "青岛杰航精密机械股份有限公司", "A", 12, decision_maker=False)
    held(rep, "潍坊恒锐数控设备有限公司", "A", 3, method=Method.PHONE, contacts=(4, 11, 18, 25, 32, 39))
    held(rep, "烟台新宇汽车零部件有限公司", "A", -5, contacts=(1, 8, 15, 22, 29, 50))
    held(rep, "淄博鑫源模具有限公司", "B", 8, method=Method.WECHAT, contacts=(2, 16, 30, 44))
    held(colleague, "济南华远重工有限公司", "A", 20)
    pooled = held(colleague, "苏州博正电子科技有限公司", "C", 40, method=Method.EMAIL, contacts=(5, 60))
    for days_ago, kind in ((3, EventKind.CLAIMED), (10, EventKind.RELEASED), (17, EventKind.CLAIMED)):
        OwnershipEvent.objects.create(
            customer=pooled, kind=kind, at=timezone.now() - datetime.timedelta(days=days_ago), actor=colleague,
            to_user=colleague if kind == EventKind.CLAIMED else None,
            from_user=colleague if kind == EventKind.RELEASED else None,
        )  # fmt: skip
    return colleague


def test_manager_filters_overdue_a_customers_of_one_rep_and_reassigns_one(new_page, login, manager, rep, board_data):
    colleague = board_data
    page = new_page(viewport=DESKTOP, language="zh-hans")
    login(page, manager, "zh-hans")
    page.wait_for_url("**/board/")
    assert page.get_by_test_id("column-A").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    screenshot(page, "board-zh-desktop")

    page.get_by_test_id("board-filter").get_by_role("button", name="筛选").click()
    page.locator("#board-filters.show").wait_for()  # opened: a click while it slides open can miss (seen once)
    page.select_option("#id_owner", str(rep.pk))
    page.check("#id_grade_0")  # A
    page.check("#id_overdue")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url("**/board/?*overdue=on*")
    cards = page.get_by_test_id("column-A").locator("article")
    assert cards.count() == 2
    assert cards.nth(0).inner_text().startswith("青岛杰航精密机械股份有限公司")  # 12 days overdue, before 3
    assert page.get_by_test_id("column-B").count() == 0
    screenshot(page, "board-zh-filtered")

    customer = Customer.objects.get(name="青岛杰航精密机械股份有限公司")
    page.get_by_test_id(f"transfer-{customer.pk}").click()
    form = page.get_by_test_id("transfer-form")
    form.wait_for()
    form.locator("select[name=to_user]").select_option(str(colleague.pk))
    form.locator("textarea[name=reason]").fill("客户要求更换为李丽跟进")
    screenshot(page, "board-zh-transfer-form")
    filtered = page.url
    form.get_by_role("button", name="转移").click()

    notice = page.get_by_test_id(f"card-{customer.pk}").get_by_test_id("notice")
    notice.wait_for()
    assert "现归" in notice.inner_text()  # “…”现归 李丽 负责。, said in the card itself
    assert page.url == filtered  # no reload: the board keeps its filters
    assert page.get_by_test_id(f"card-{customer.pk}").get_by_test_id("owner").inner_text() == "李丽"
    screenshot(page, "board-zh-after-transfer")
    event = OwnershipEvent.objects.get(customer=customer, kind=EventKind.TRANSFERRED)
    assert (event.actor, event.from_user, event.to_user, event.reason) == (
        manager, rep, colleague, "客户要求更换为李丽跟进",
    )  # fmt: skip

    response = page.request.get("/board/digest.pdf")
    assert response.headers["content-type"] == "application/pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "board-digest-zh.pdf").write_bytes(response.body())


def test_board_stacks_on_a_phone(new_page, login, manager, board_data):
    page = new_page(viewport=PHONE, language="zh-hans")
    login(page, manager, "zh-hans")
    page.wait_for_url("**/board/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    columns = [page.get_by_test_id(f"column-{grade}").bounding_box() for grade in "ABC"]
    assert columns[0]["y"] < columns[1]["y"] < columns[2]["y"]  # one under the other
    screenshot(page, "board-zh-phone")


def test_reassign_in_place_on_a_phone_shows_its_error_in_the_card(new_page, login, manager, rep, board_data):
    colleague = board_data
    customer = Customer.objects.get(name="淄博鑫源模具有限公司")  # the B column, below the A one
    page = new_page(viewport=PHONE, language="zh-hans")
    login(page, manager, "zh-hans")
    page.goto(f"/board/?owner={rep.pk}")
    card = page.get_by_test_id(f"card-{customer.pk}")
    card.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    card.get_by_test_id(f"transfer-{customer.pk}").click()

    form = card.get_by_test_id("transfer-form")
    form.wait_for()
    offered = form.locator("select[name=to_user] option").all_inner_texts()
    assert "李丽" in offered and "王建国" not in offered  # the holder is no choice
    form.locator("select[name=to_user]").select_option(str(colleague.pk))
    form.get_by_role("button", name="转移").click()  # without a reason
    error = card.locator(".invalid-feedback")
    error.wait_for()
    assert error.is_visible() and card.locator("select[name=to_user]").input_value() == str(colleague.pk)
    # Still in place: focusing the refused field may nudge the page by a line, never back to the top.
    assert page.url.endswith(f"/board/?owner={rep.pk}") and abs(page.evaluate("window.scrollY") - scrolled) < 100
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    card.screenshot(path=ARTIFACTS / "board-zh-phone-reassign-error.png")

    card.get_by_test_id("cancel").click()  # folds the form away, still in place
    assert card.get_by_test_id("transfer-form").count() == 0
    assert page.url.endswith(f"/board/?owner={rep.pk}") and abs(page.evaluate("window.scrollY") - scrolled) < 100
    assert not OwnershipEvent.objects.filter(customer=customer, kind=EventKind.TRANSFERRED).exists()

    card.get_by_test_id(f"transfer-{customer.pk}").click()
    form.locator("select[name=to_user]").select_option(str(colleague.pk))
    form.locator("textarea[name=reason]").fill("客户要求更换销售")
    form.get_by_role("button", name="转移").click()
    card.get_by_test_id("notice").wait_for()
    assert card.get_by_test_id("owner").inner_text() == "李丽"
    assert page.url.endswith(f"/board/?owner={rep.pk}") and abs(page.evaluate("window.scrollY") - scrolled) < 100
    card.screenshot(path=ARTIFACTS / "board-zh-phone-reassign-done.png")
    screenshot(page, "board-zh-phone-reassign-done-page")
