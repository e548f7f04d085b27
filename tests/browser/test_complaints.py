import pytest
from playwright.sync_api import expect

from crm.complaints.models import Complaint, State
from crm.complaints.services import complaint_record
from crm.models import BuyingRole
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, screenshot
from tests.factories import ContactFactory, CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_records_a_complaint_on_a_phone_and_a_manager_closes_it(new_page, login, rep, manager):
    customer = CustomerFactory(name="青岛杰航精密机械股份有限公司", owner=rep, grade="A")
    ContactFactory(customer=customer, name="王建国", title="总经理", phones="13856781234",
                   buying_role=BuyingRole.DECISION_MAKER)  # fmt: skip

    phone = new_page(viewport=PHONE)
    login(phone, rep)
    phone.goto(f"/customers/{customer.pk}/")
    phone.get_by_test_id("complaints").get_by_role("link", name="Record complaint").click()
    phone.select_option("#id_complainant", label="王建国 · 总经理")
    phone.fill("#id_description", "新交付的立式加工中心主轴异响，客户已停机待修。")
    phone.fill("#id_reference", "VMC850-23117")
    phone.select_option("#id_category", "quality")
    phone.select_option("#id_severity", "high")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "complaint-record-phone")
    phone.get_by_role("button", name="Save").click()

    phone.wait_for_url("**/complaints/*/")
    assert phone.get_by_text("Complaint recorded.").is_visible()
    assert phone.get_by_test_id("complainant").inner_text() == "王建国 · 总经理"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "complaint-recorded-phone")
    complaint = Complaint.objects.get()
    assert complaint.phone == "13856781234" and complaint.assignee == rep

    desk = new_page(viewport=DESKTOP)
    login(desk, manager)
    desk.goto(f"/complaints/{complaint.pk}/")
    desk.fill("#id_note", "已致电客户致歉，明天派工程师到厂。")
    desk.get_by_role("button", name="Start investigating").click()
    expect(desk.get_by_text("The complaint is now “Investigating”.")).to_be_visible()

    desk.fill("#id_note", "已更换轴承")
    desk.get_by_role("button", name="Mark resolved").click()  # nothing written yet about what was done
    refusal = desk.get_by_test_id("move-form").get_by_text(
        "Write what was done for the customer before marking it resolved."
    )
    refusal.wait_for()
    assert desk.input_value("#id_note") == "已更换轴承"  # asked in place, nothing lost
    screenshot(desk, "complaint-refused-desktop")

    desk.fill("#id_resolution_actions", "更换主轴轴承并重新调整预紧力，免费延长主轴保修一年。")
    desk.get_by_role("button", name="Mark resolved").click()
    expect(desk.get_by_text("The complaint is now “Resolved”.")).to_be_visible()

    desk.fill("#id_customer_response", "客户确认机床运行正常，接受处理方案。")
    desk.get_by_role("button", name="Close: the customer accepted").click()
    expect(desk.get_by_text("The complaint is now “Closed”.")).to_be_visible()

    history = desk.get_by_test_id("history").get_by_test_id("event")
    assert history.count() == 6  # recorded, three steps and the two edits typed with them
    assert "Open → Investigating" in history.nth(1).inner_text() and "已致电客户致歉" in history.nth(1).inner_text()
    assert "Edited" in history.nth(2).inner_text() and "resolution actions" in history.nth(2).inner_text()
    assert "Resolved → Closed" in history.nth(5).inner_text()
    assert desk.get_by_test_id("move-form").get_by_role("button").all_inner_texts() == ["Reopen"]
    screenshot(desk, "complaint-closed-desktop")
    complaint.refresh_from_db()
    assert complaint.state == State.CLOSED and complaint.customer_response.startswith("客户确认")

    phone_zh = new_page(viewport=PHONE, language="zh-hans")
    login(phone_zh, rep, "zh-hans")
    for name, path in [("record", f"/complaints/new/{customer.pk}/"), ("closed", f"/complaints/{complaint.pk}/")]:
        phone_zh.goto(path)
        assert phone_zh.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(phone_zh, f"complaint-{name}-phone-zh-hans")


def test_a_manager_resolves_and_closes_on_a_phone_typing_what_each_step_needs(new_page, login, rep, manager):
    customer = CustomerFactory(name="青岛杰航精密机械股份有限公司", owner=rep, grade="A")
    complaint = complaint_record(
        complaint=Complaint(
            customer=customer, complainant_name="王建国", description="新交付的立式加工中心主轴异响，客户已停机待修。",
            category="quality", severity="high",
        ),
        actor=rep,
    )  # fmt: skip
    phone = new_page(viewport=PHONE, language="zh-hans")
    login(phone, manager, "zh-hans")
    phone.goto(f"/complaints/{complaint.pk}/")
    step = phone.get_by_test_id("move-form")
    assert step.locator("#id_resolution_actions").is_visible()  # asked for before it is refused
    assert step.locator("#id_customer_response").count() == 0  # closing is not a step from here
    step.locator("#id_note").fill("已派工程师到厂")
    step.get_by_role("button", name="标记为已解决").click()  # the field left empty

    phone.wait_for_url(f"**/complaints/{complaint.pk}/move/")
    field = phone.locator("#id_resolution_actions")
    # Focused and brought into view as the page loads, to be filled in (the browser does it in its own time).
    phone.wait_for_function(
        """() => {
            const field = document.querySelector("#id_resolution_actions");
            const box = field.getBoundingClientRect();
            return document.activeElement === field && box.top >= 0 && box.bottom <= window.innerHeight;
        }"""
    )
    assert "is-invalid" in field.get_attribute("class")
    assert phone.locator("#id_note").input_value() == "已派工程师到厂"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    step.screenshot(path=ARTIFACTS / "complaint-step-refused-phone-zh-hans.png")

    field.fill("更换主轴轴承并重新调整预紧力。")
    step.get_by_role("button", name="标记为已解决").click()
    phone.wait_for_url(f"**/complaints/{complaint.pk}/")
    assert step.locator("#id_resolution_actions").count() == 0
    step.locator("#id_customer_response").fill("客户确认机床运行正常，接受处理方案。")
    step.screenshot(path=ARTIFACTS / "complaint-step-close-phone-zh-hans.png")
    step.get_by_role("button", name="结案：客户已接受").click()
    phone.wait_for_url(f"**/complaints/{complaint.pk}/")
    complaint.refresh_from_db()
    assert complaint.state == State.CLOSED
    assert complaint.resolution_actions == "更换主轴轴承并重新调整预紧力。"
    assert complaint.customer_response == "客户确认机床运行正常，接受处理方案。"
    screenshot(phone, "complaint-closed-in-steps-phone-zh-hans")
