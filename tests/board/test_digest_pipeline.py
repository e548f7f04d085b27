"""The weekly digest's pipeline page: open deals by stage with totals and weighted totals, what was won and lost
in the last seven days, and the deals stuck in a stage longer than its usual time."""

import datetime
import io
import os
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from claims.board.digest import digest_context
from claims.board.pipeline import pipeline_summary
from claims.board.services import board_scope
from crm.deals.models import CloseReason, Opportunity, OpportunityLine, Stage
from crm.deals.services import (
    opportunity_create,
    opportunity_lose,
    opportunity_move,
    opportunity_part_save,
    opportunity_win,
)
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def deal(actor, title, price, *, customer=None, quantity=1):
    customer = customer or CustomerFactory(owner=actor, name=f"{title}机械有限公司")
    close_on = timezone.localdate() + datetime.timedelta(days=45)
    opportunity = opportunity_create(
        opportunity=Opportunity(customer=customer, title=title, expected_close_on=close_on), actor=actor
    )
    opportunity_part_save(
        part=OpportunityLine(opportunity=opportunity, product="加工中心", model="VMC850", quantity=quantity,
                             unit_price=Decimal(price)),
        actor=actor,
    )  # fmt: skip
    return opportunity


@pytest.fixture
def deals(rep, manager):
    stages = {stage.order: stage for stage in Stage.objects.in_use()}
    first = deal(rep, "两台立式加工中心", "450000", quantity=2)
    proposal = deal(rep, "五轴方案", "1200000")
    opportunity_move(opportunity=proposal, to_stage=stages[3], actor=manager, reason="客户急需")
    stuck = deal(rep, "老项目", "300000")
    Opportunity.objects.filter(pk=stuck.pk).update(stage_entered_at=timezone.now() - datetime.timedelta(days=40))
    won = deal(rep, "刀具年单", "80000")
    opportunity_win(opportunity=won, actor=rep)
    lost = deal(rep, "卧式加工中心", "900000")
    opportunity_lose(opportunity=lost, actor=rep, reason=CloseReason.objects.filter(outcome="lost").first(),
                     won_by="马扎克")  # fmt: skip
    stranger = UserFactory(role="rep", team=TeamFactory(name="B"))
    deal(stranger, "别的团队的机会", "5000000")
    return {"first": first, "proposal": proposal, "stuck": stuck, "won": won, "lost": lost}


def test_the_summary_counts_the_scopes_deals(manager, deals):
    summary = pipeline_summary(board_scope(manager, None), timezone.localdate())
    by_order = {row.stage.order: row for row in summary["stages"]}
    assert (by_order[1].count, by_order[1].total, by_order[1].weighted) == (2, Decimal(1_200_000), Decimal(120_000))
    assert (by_order[3].count, by_order[3].total, by_order[3].weighted) == (1, Decimal(1_200_000), Decimal(480_000))
    assert by_order[2].count == 0
    assert (summary["total"].count, summary["total"].total) == (3, Decimal(2_400_000))  # not the other team's
    assert [d.title for d in summary["won"].deals] == ["刀具年单"] and summary["won"].total == Decimal(80_000)
    assert [d.title for d in summary["lost"].deals] == ["卧式加工中心"]
    assert [d.title for d in summary["stuck"].deals] == ["老项目"] and summary["stuck"].deals[0].days == 40


def test_a_deal_closed_eight_days_ago_is_not_this_weeks(manager, deals):
    Opportunity.objects.filter(pk=deals["won"].pk).update(closed_on=timezone.localdate() - datetime.timedelta(8))
    assert pipeline_summary(board_scope(manager, None), timezone.localdate())["won"].count == 0


def pdf_pages(content):
    return ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def test_the_digest_pdf_has_a_pipeline_page_in_chinese(manager_client, deals):
    response = manager_client.get(reverse("board:digest_pdf"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    if os.environ.get("DIGEST_PDF_OUT"):
        with open(os.environ["DIGEST_PDF_OUT"], "wb") as out:
            out.write(response.content)
    pages = pdf_pages(response.content)
    pipeline = next(page for page in pages if "方案" in page and "老项目" in page)
    assert "客户开发" in pipeline and "刀具年单" in pipeline and "马扎克" in pipeline
    assert "别的团队的机会" not in "".join(pages)
    assert "两台立式加工中心" not in pages[0]  # the pipeline starts a page of its own


def test_queries_do_not_grow_with_the_deals(manager, rep, deals):
    scope = board_scope(manager, None)

    def counted():
        with CaptureQueriesContext(connection) as queries:
            digest_context(scope, timezone.localdate())["pipeline"]
        return len(queries)

    small = counted()
    for index in range(6):
        deal(rep, f"机会{index}", "100000")
    assert counted() == small
