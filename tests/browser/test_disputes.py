"""A collision from the registration page, then the manager decides it with both sides in view."""

import pytest

from claims.models import Dispute
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.factories import UserFactory
from visits.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def register_on(page, name, phones, need):
    page.goto("/register/")
    page.fill("#id_name", name)
    page.fill("#id_phones", phones)
    page.fill("#id_need", need)
    page.locator("#register-form button[type=submit]").first.click()


def fits(page, viewport):
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_collision_on_a_phone_then_the_manager_splits_the_credit(new_page, login, rep, manager):
    colleague = UserFactory(team=rep.team, first_name="建国", last_name="王")

    first = new_page()
    login(first, rep)
    register_on(first, "青岛杰航机械有限公司", "0532-88886666", "五轴加工中心，预算80万")
    first.wait_for_url("**/customers/*/")
    customer_url = first.url
    dispute_count = Dispute.objects.count()

    phone = new_page(viewport=PHONE)
    login(phone, colleague)
    register_on(phone, "青岛杰航机械有限责任公司", "0532-87776666", "卧式加工中心两台")
    assert phone.get_by_test_id("collision").is_visible()
    assert Dispute.objects.count() == dispute_count + 1
    dispute = Dispute.objects.get()
    Visit.objects.create(
        customer=dispute.customer, author=rep, started_at=dispute.opened_at, discussion="到厂演示五轴，技术部长参加。"
    )
    screenshot(phone, "dispute-collision-phone")
    phone.get_by_role("link", name="Open the dispute").click()
    phone.wait_for_url(f"**/disputes/{dispute.pk}/")
    assert phone.get_by_test_id("side-2").is_visible()
    assert phone.get_by_test_id("decide-form").count() == 0  # a side sees, does not decide
    assert fits(phone, PHONE)
    screenshot(phone, "dispute-detail-challenger-phone")

    desk = new_page(viewport=DESKTOP)
    login(desk, manager)
    desk.goto("/disputes/")
    row = desk.get_by_test_id(f"dispute-{dispute.pk}")
    assert "You decide" in row.inner_text()
    screenshot(desk, "dispute-queue-desktop")
    row.get_by_role("link", name="青岛杰航机械有限公司").click()
    desk.wait_for_url(f"**/disputes/{dispute.pk}/")
    holder, challenger = desk.get_by_test_id("side-1"), desk.get_by_test_id("side-2")
    assert str(rep) in holder.inner_text() and "到厂演示五轴" in holder.inner_text()
    assert "青岛杰航机械有限责任公司" in challenger.inner_text() and "卧式加工中心两台" in challenger.inner_text()
    side_by_side = holder.bounding_box()["y"] == challenger.bounding_box()["y"]
    assert side_by_side
    screenshot(desk, "dispute-detail-desktop")

    desk.select_option("#id_preset", "30")  # 70/30 to the challenger who closed
    assert desk.input_value("#id_holder_share") == "30"
    assert desk.get_by_test_id("challenger-share").inner_text() == "70"
    assert desk.is_checked("input[name=outcome][value=split]")
    desk.fill("#id_reason", "王建国成交，原持有人协助演示。")
    screenshot(desk, "dispute-decide-desktop")
    desk.get_by_role("button", name="Record the decision").click()
    desk.wait_for_selector("[data-testid=decision]")
    split = f"{rep} (holder) 30 % · {colleague} (challenger) 70 %"  # the 70 goes to the challenger who closed
    assert split in desk.get_by_test_id("decision").inner_text()

    desk.goto(customer_url)
    assert split in desk.get_by_test_id("credit-split").inner_text()
    assert split in desk.get_by_test_id("history-split").inner_text()
    assert "Dispute decided" in desk.get_by_test_id("ownership-history").inner_text()
    screenshot(desk, "dispute-customer-card-desktop")

    for viewport, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = new_page(viewport=viewport, language="zh-hans")
        login(page, manager, language="zh-hans")
        page.goto(f"/disputes/{dispute.pk}/")
        assert fits(page, viewport)
        screenshot(page, f"dispute-detail-zh-{suffix}")


def test_manager_decides_an_open_dispute_on_a_phone(new_page, login, rep, manager):
    """The decide form itself at 375 px, in Chinese."""
    colleague = UserFactory(team=rep.team)
    first = new_page()
    login(first, rep)
    register_on(first, "潍坊恒锐精密机械有限公司", "0536-88886666", "数控车床")
    first.wait_for_url("**/customers/*/")
    second = new_page()
    login(second, colleague)
    register_on(second, "潍坊恒锐精密机械有限责任公司", "0536-87776666", "数控车床三台")
    second.get_by_test_id("collision").wait_for()
    dispute = Dispute.objects.get()

    for language in ("en", "zh-hans"):
        page = new_page(viewport=PHONE, language=language)
        login(page, manager, language=language)
        page.goto(f"/disputes/{dispute.pk}/")
        page.select_option("#id_preset", "50")
        assert page.get_by_test_id("challenger-share").inner_text() == "50"
        assert fits(page, PHONE)
        screenshot(page, f"dispute-decide-{language}-phone")
    page.fill("#id_reason", "双方不知情，各半。")
    page.locator("[data-testid=decide-form] button[type=submit]").click()
    page.get_by_test_id("decision").wait_for()
    assert fits(page, PHONE)
    screenshot(page, "dispute-decided-zh-hans-phone")

    page.goto(f"/customers/{dispute.customer_id}/dispute/")
    page.check("input[name=kind][value=customer_wish]")
    page.select_option("#id_challenger", str(colleague.pk))
    page.fill("#id_statement", "客户总经理来电，要求由王建国负责。")
    assert fits(page, PHONE)
    screenshot(page, "dispute-open-wish-zh-hans-phone")
    page.locator("form button[type=submit]").last.click()
    page.get_by_test_id("statement").wait_for()
    wish = Dispute.objects.get(state="open")
    assert (wish.kind, wish.challenger, wish.opened_by) == ("customer_wish", colleague, manager)


def test_the_manager_holding_the_customer_cannot_judge_it_and_the_split_reads_by_side(new_page, login, rep, manager):
    """DOMAIN §5.7 on phones: the manager's own rep collides with him; an admin decides 70/30 for the rep, who
    then finds the customer among his credit shares, to read."""
    admin = UserFactory(role="admin")
    for person, (last, first) in ((manager, ("刘", "洋")), (rep, ("张", "伟"))):
        person.last_name, person.first_name = last, first
        person.save()
    boss = new_page(viewport=PHONE)
    login(boss, manager)
    register_on(boss, "烟台华精汽车零部件有限公司", "0535-86661111", "加工中心两台")
    boss.wait_for_url("**/customers/*/")
    seller = new_page(viewport=PHONE)
    login(seller, rep)
    register_on(seller, "烟台华精汽车零部件股份有限公司", "0535-86661111", "加工中心两台，年底前")
    seller.get_by_test_id("collision").wait_for()
    dispute = Dispute.objects.get()

    boss.goto("/disputes/")
    row = boss.get_by_test_id(f"dispute-{dispute.pk}").inner_text()
    assert "You decide" not in row and "Decided by an admin: the team's manager is a party." in row
    assert row.count("today") == 1
    boss.goto(f"/disputes/{dispute.pk}/")
    assert boss.get_by_test_id("decide-form").count() == 0
    assert "You are a party to this dispute" in boss.get_by_test_id("party-notice").inner_text()
    assert fits(boss, PHONE)
    screenshot(boss, "dispute-party-manager-phone")

    desk = new_page(viewport=PHONE)
    login(desk, admin)
    desk.goto(f"/disputes/{dispute.pk}/")
    desk.select_option("#id_preset", "30")  # 70/30 to the challenger who closed
    desk.fill("#id_reason", "张伟成交，刘洋协助。")
    desk.locator("[data-testid=decide-form] button[type=submit]").click()
    split = "刘洋 (holder) 30 % · 张伟 (challenger) 70 %"
    assert desk.get_by_test_id("decided-split").inner_text() == split
    assert fits(desk, PHONE)
    screenshot(desk, "dispute-split-by-side-phone")

    seller.goto("/customers/")
    seller.get_by_test_id("credit-shares-link").click()
    assert seller.get_by_test_id("share-split").inner_text() == split
    seller.get_by_role("link", name="烟台华精汽车零部件有限公司").click()
    seller.get_by_test_id("read-only").wait_for()
    assert split in seller.get_by_test_id("credit-split").inner_text()
    assert seller.get_by_role("link", name="Log visit").count() == 0
    assert seller.locator("main").get_by_role("link", name="Edit", exact=True).count() == 0
    assert fits(seller, PHONE)
    screenshot(seller, "credit-share-card-phone")
