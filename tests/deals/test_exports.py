"""The pipeline's export: the deals its filters show and the manager may see, one row each with its lines."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditAction, AuditEntry
from crm.deals.models import OpportunityLine
from crm.deals.services import opportunity_part_save
from tests.factories import CustomerFactory, TeamFactory, UserFactory

from .conftest import open_deal

pytestmark = pytest.mark.django_db


def export_url(file_format="csv"):
    return reverse("deals:export", args=[file_format])


def add_line(deal, actor, product="立式加工中心", model="VMC850", price="450000", quantity=2):
    return opportunity_part_save(
        part=OpportunityLine(opportunity=deal, product=product, model=model, quantity=quantity,
                             unit_price=Decimal(price)),
        actor=actor,
    )  # fmt: skip


def csv_rows(response):
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def pipeline(rep, stages):
    """Two of team A's deals (one with two lines) and one of another team's."""
    big = open_deal(rep, CustomerFactory(owner=rep, name="青岛大单机械有限公司", credit_code=""), title="五轴加工中心")
    add_line(big, rep)
    add_line(big, rep, product="数控车床", model="CK6150", price="180000", quantity=1)
    small = open_deal(rep, CustomerFactory(owner=rep, name="青岛小单机械有限公司"), title="刀具")
    stranger = UserFactory(role="rep", team=TeamFactory(name="B"))
    open_deal(stranger, CustomerFactory(owner=stranger, name="济南别人家有限公司"), title="别人的机会")
    return big, small


def test_a_row_per_visible_deal_with_its_lines_as_numbers(manager_client, pipeline):
    big, small = pipeline
    rows = {row["Deal"]: row for row in csv_rows(manager_client.get(export_url()))}
    assert set(rows) == {"五轴加工中心", "刀具"}  # not another team's
    row = rows["五轴加工中心"]
    assert (row["Customer"], row["Stage"], row["Probability (%)"]) == ("青岛大单机械有限公司", "Development", "10")
    assert row["Amount (CNY)"] == "1080000.00" and row["Weighted (CNY)"] == "108000.00"
    assert row["Expected close"] == big.expected_close_on.isoformat()
    assert (row["Line 1: model"], row["Line 1: quantity"], row["Line 1: unit price (CNY)"]) == (
        "VMC850",
        "2",
        "450000.00",
    )
    assert (row["Line 2: machine or product"], row["Line 2: model"]) == ("数控车床", "CK6150")
    assert rows["刀具"]["Line 2: model"] == ""
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.detail["rows"] == 2 and entry.detail["what"] == "deals"


def test_the_pipelines_filters_apply(manager_client, pipeline):
    big, _small = pipeline
    rows = csv_rows(manager_client.get(export_url(), {"amount_min": "1000000"}))
    assert [row["Deal"] for row in rows] == ["五轴加工中心"]


def test_a_filter_it_cannot_apply_exports_nothing(manager_client, pipeline):
    response = manager_client.get(export_url(), {"close_month": "garbage"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("deals:pipeline"))
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_xlsx_in_chinese_names_the_stage_in_chinese_and_keeps_numbers(manager_client, pipeline):
    response = manager_client.get(export_url("xlsx"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    row = next(dict(zip(header, row, strict=True)) for row in rows if "五轴加工中心" in row)
    stage, amount = (next(v for k, v in row.items() if k == title) for title in ("阶段", "金额（元）"))
    assert stage == "客户开发"
    assert isinstance(amount, int | float) and amount == 1_080_000
    assert isinstance(row[header[6]], datetime.datetime | datetime.date)


def test_reps_do_not_export(rep_client, pipeline):
    assert rep_client.get(export_url()).status_code == 403


def test_the_pipeline_offers_the_export_to_managers(manager_client, pipeline):
    response = manager_client.get(reverse("deals:pipeline"), {"amount_min": "1000000"})
    assert f"{export_url()}?amount_min=1000000" in response.content.decode()


def test_the_pipeline_offers_no_export_to_reps(rep_client, pipeline):
    assert export_url() not in rep_client.get(reverse("deals:pipeline")).content.decode()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_queries_do_not_grow_with_the_deals(manager_client, rep, stages, file_format):
    def make(count):
        for index in range(count):
            deal = open_deal(rep, CustomerFactory(owner=rep), title=f"机会{index}")
            add_line(deal, rep)
            add_line(deal, rep, model="CK6150")

    def counted():
        with CaptureQueriesContext(connection) as queries:
            response = manager_client.get(export_url(file_format))
            assert response.status_code == 200
            if response.streaming:
                b"".join(response.streaming_content)
        return len(queries)

    make(2)
    small = counted()
    make(20)
    assert counted() == small
