import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.deals.models import Opportunity, Purchase, Stage
from crm.deals.services import opportunity_create
from crm.models import BuyingRole, Status
from tests.browser.conftest import PHONE, at_path, screenshot
from tests.factories import ContactFactory, CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_rep_opens_a_deal_on_a_phone_moves_it_once_the_gatekeeper_is_named_and_wins_it(new_page, login, rep):
    customer = CustomerFactory(name="青岛杰航精密机械股份有限公司", owner=rep, annual_purchases=80_000)
    ContactFactory(customer=customer, name="刘工", title="技术部长", buying_role=BuyingRole.TECHNICAL)
    proposal = Stage.objects.in_use()[2]

    phone = new_page(viewport=PHONE, language="zh-hans")
    login(phone, rep, language="zh-hans")
    phone.goto(f"/customers/{customer.pk}/")
    phone.get_by_test_id("new-deal").click()
    phone.fill("#id_title", "两台卧式加工中心")
    phone.fill("#id_expected_close_on", f"{timezone.localdate() + datetime.timedelta(days=60):%Y-%m-%d}")
    phone.check("#id_need_confirmed")
    phone.get_by_test_id("deal-form").locator("[type=submit]").click()
    phone.wait_for_url(lambda url: "/deals/" in url and "/new/" not in url)
    deal_path = at_path(f"/deals/{Opportunity.objects.get().pk}/")

    phone.get_by_test_id("lines").locator("summary").click()
    phone.fill("#id_line-product", "卧式加工中心")
    phone.fill("#id_line-model", "HMC630")
    phone.fill("#id_line-quantity", "2")
    phone.fill("#id_line-unit_price", "1380000")
    phone.get_by_test_id("line-form").locator("[type=submit]").click()
    expect(phone.get_by_test_id("line")).to_have_count(1)

    phone.select_option("#id_to_stage", str(proposal.pk))
    phone.get_by_test_id("move-form").locator("[type=submit]").click()
    expect(phone.get_by_test_id("missing").locator("li")).to_have_count(1)  # the technical gatekeeper
    fits(phone)
    screenshot(phone, "deal-move-refused-phone-zh")
    assert Opportunity.objects.get().stage.order == 1

    phone.get_by_test_id("people").locator("summary").click()
    phone.select_option("#id_person-contact", label="刘工 · 技术部长")
    phone.select_option("#id_person-role", BuyingRole.TECHNICAL)
    phone.get_by_test_id("person-form").locator("[type=submit]").click()
    expect(phone.get_by_test_id("participant")).to_have_count(1)
    phone.select_option("#id_to_stage", str(proposal.pk))
    phone.get_by_test_id("move-form").locator("[type=submit]").click()
    expect(phone.get_by_test_id("deal-stage")).to_have_text("方案")
    phone.wait_for_url(deal_path)

    phone.get_by_test_id("close-actions").locator("summary").first.click()
    phone.get_by_test_id("win-form").locator("[type=submit]").click()
    expect(phone.get_by_test_id("closed")).to_be_visible()
    fits(phone)
    screenshot(phone, "deal-won-phone-zh")
    purchase = Purchase.objects.get()
    customer.refresh_from_db()
    assert purchase.amount == 2_760_000 and customer.annual_purchases == 2_760_000
    assert (customer.grade, customer.status) == ("A", Status.ACTIVE)

    phone.goto("/deals/")
    fits(phone)
    screenshot(phone, "pipeline-phone-zh")


def test_cards_are_dragged_to_another_stage_on_desktop_and_a_refused_drag_lists_what_is_missing(
    new_page, login, rep, manager
):
    stages = Stage.objects.in_use()
    due = timezone.localdate() + datetime.timedelta(days=60)

    def deal(title, **fields):
        customer = CustomerFactory(owner=rep)
        opportunity = Opportunity(customer=customer, title=title, expected_close_on=due, **fields)
        return opportunity_create(opportunity=opportunity, actor=rep)

    ready, early = deal("需求已确认的五轴", need_confirmed=True), deal("还在摸底的车床")
    page = new_page()
    login(page, rep)
    page.goto("/deals/")
    screenshot(page, "pipeline-desktop")
    approval = page.get_by_test_id(f"stage-{stages[1].order}")
    page.get_by_test_id("deal-card").filter(has_text="需求已确认的五轴").drag_to(approval)
    expect(approval.get_by_test_id("deal-card").filter(has_text="需求已确认的五轴")).to_be_visible()
    ready.refresh_from_db()
    assert ready.stage == stages[1]

    # Proposal needs the need confirmed and a technical gatekeeper: the same refusal the buttons get.
    page.get_by_test_id("deal-card").filter(has_text="还在摸底的车床").drag_to(
        page.get_by_test_id(f"stage-{stages[2].order}")
    )
    expect(page.get_by_test_id("missing").locator("li")).to_have_count(2)
    early.refresh_from_db()
    assert early.stage == stages[0]
    screenshot(page, "pipeline-drag-refused")

    # A manager moves past it with a reason, on the page the refused drag opened.
    page = new_page()
    login(page, manager)
    page.goto("/deals/")
    page.get_by_test_id("deal-card").filter(has_text="还在摸底的车床").drag_to(
        page.get_by_test_id(f"stage-{stages[2].order}")
    )
    expect(page.get_by_test_id("missing").locator("li")).to_have_count(2)
    page.fill("#id_reason", "客户总工口头确认，技术把关人下周见面")
    page.get_by_test_id("move-form").locator("[type=submit]").click()
    expect(page.get_by_test_id("deal-stage")).to_have_text(stages[2].name)
    early.refresh_from_db()
    assert early.stage == stages[2]
