import pytest

from crm.complaints.models import Complaint, State
from crm.models import BuyingRole
from tests.browser.conftest import DESKTOP, PHONE, screenshot
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
    assert desk.get_by_text("The complaint is now “Investigating”.").is_visible()

    desk.get_by_role("button", name="Mark resolved").click()  # nothing written yet about what was done
    assert desk.get_by_text("Write what was done for the customer before marking it resolved.").is_visible()
    screenshot(desk, "complaint-refused-desktop")

    desk.get_by_role("link", name="Edit").click()
    desk.fill("#id_root_cause", "主轴轴承预紧力调整不当。")
    desk.fill("#id_resolution_actions", "更换主轴轴承并重新调整预紧力，免费延长主轴保修一年。")
    desk.get_by_role("button", name="Save").click()
    desk.wait_for_url(f"**/complaints/{complaint.pk}/")
    desk.get_by_role("button", name="Mark resolved").click()
    assert desk.get_by_text("The complaint is now “Resolved”.").is_visible()

    desk.get_by_role("button", name="Close: the customer accepted").click()
    assert desk.get_by_text("Record the customer's response before closing").is_visible()
    desk.get_by_role("link", name="Edit").click()
    desk.fill("#id_customer_response", "客户确认机床运行正常，接受处理方案。")
    desk.fill("#id_improvement_measures", "主轴维修后增加4小时跑合测试。")
    desk.get_by_role("button", name="Save").click()
    desk.wait_for_url(f"**/complaints/{complaint.pk}/")
    desk.get_by_role("button", name="Close: the customer accepted").click()
    assert desk.get_by_text("The complaint is now “Closed”.").is_visible()

    history = desk.get_by_test_id("history").get_by_test_id("event")
    assert history.count() == 6  # recorded, three steps and the two edits between them
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
