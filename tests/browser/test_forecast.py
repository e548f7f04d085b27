"""A manager enters a rep's target on the board and sees the forecast per rep, a split customer's won deal counted
70/30 (Chinese, desktop)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from claims.models import Claim
from crm.deals.models import Opportunity, SalesTarget, Stage, Status
from tests.browser.conftest import DESKTOP, PHONE, at_path, screenshot
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def split_customer(holder, other, share):
    today = timezone.localdate()
    customer = CustomerFactory(name="青岛杰航精密机械股份有限公司", owner=holder)
    Claim.objects.create(
        customer=customer, holder=holder, renewed_on=today, protected_until=today + datetime.timedelta(days=90),
        holder_share=share, shared_with=other,
    )  # fmt: skip
    return customer


@pytest.fixture
def forecast_data(team, manager, rep):
    manager.first_name, manager.last_name = "志强", "赵"
    manager.save()
    rep.first_name, rep.last_name = "建国", "王"
    rep.save()
    colleague = UserFactory(role="rep", team=team, first_name="丽", last_name="李")
    customer = split_customer(rep, colleague, 70)
    stages = Stage.objects.in_use()
    Opportunity.objects.create(
        customer=customer, title="两台五轴加工中心", stage=stages[4], probability=100, status=Status.WON,
        expected_close_on=timezone.localdate(), closed_on=timezone.localdate(), amount=Decimal(1_000_000),
        created_by=rep,
    )  # fmt: skip
    Opportunity.objects.create(
        customer=customer, title="立式加工中心", stage=stages[2], probability=40,
        expected_close_on=timezone.localdate(), amount=Decimal(500_000), created_by=rep,
        stage_entered_at=timezone.now() - datetime.timedelta(days=stages[2].usual_days + 10),
    )  # fmt: skip
    return rep, colleague


def test_a_manager_enters_a_target_and_sees_the_split_deal_counted_70_30(new_page, login, manager, forecast_data):
    rep, colleague = forecast_data
    page = new_page(DESKTOP, "zh-hans")
    login(page, manager, "zh-hans")

    page.goto("/board/")
    page.get_by_test_id("tab-targets").click()
    page.wait_for_url(at_path("/board/targets/"))
    row = page.get_by_test_id(f"targets-{rep.pk}")
    row.locator("input").first.fill("2,000,000")
    page.get_by_test_id("save-targets").click()

    page.wait_for_url(at_path("/board/forecast/"))
    expect(page.locator(".alert-success, .toast, [role=status]").first).to_be_visible()
    mine = page.get_by_test_id(f"forecast-{rep.pk}")
    theirs = page.get_by_test_id(f"forecast-{colleague.pk}")
    expect(mine.get_by_test_id("target").first).to_have_text("¥2,000,000")
    expect(mine.get_by_test_id("won").first).to_have_text("¥700,000")  # 70 % of the ¥1,000,000 won
    expect(mine.get_by_test_id("percent").first).to_have_text("35%")
    expect(theirs.get_by_test_id("won").first).to_have_text("¥300,000")  # the other rep's 30 %
    expect(mine.get_by_test_id("weighted").first).to_have_text("¥140,000")  # 500,000 × 40 % × 70 %
    expect(theirs.get_by_test_id("weighted").first).to_have_text("¥60,000")
    expect(page.get_by_test_id("forecast-total").get_by_test_id("won").first).to_have_text("¥1,000,000")
    expect(page.get_by_test_id("stuck")).to_contain_text("立式加工中心")
    assert SalesTarget.objects.get().amount == Decimal(2_000_000)
    screenshot(page, "forecast-desktop-zh")

    page.get_by_test_id("stuck-link").first.click()
    page.wait_for_url(at_path("/deals/"))
    expect(page.get_by_text("立式加工中心")).to_be_visible()
    expect(page.get_by_text("两台五轴加工中心")).to_have_count(0)


def test_the_forecast_and_the_targets_on_a_phone(new_page, login, manager, forecast_data):
    rep, _ = forecast_data
    page = new_page(PHONE, "zh-hans")
    login(page, manager, "zh-hans")

    page.goto("/board/targets/")
    page.get_by_test_id(f"targets-{rep.pk}").locator("input").first.fill("三十万")
    page.get_by_test_id("save-targets").click()
    expect(page.locator(".is-invalid")).to_have_count(1)
    expect(page.locator(".is-invalid")).to_have_value("三十万")  # what was typed is kept
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "targets-phone-zh-refused")

    page.goto("/board/forecast/")
    expect(page.get_by_test_id("forecast")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "forecast-phone-zh")
