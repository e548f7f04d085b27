"""Import of deals from the pipeline's spreadsheet: the customer import's dry run, confirmation and error report,
each good row written through the deals' services, a bad row reported with its number and reason, never half."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from claims.imports.models import ImportJob, ImportKind, ImportState
from crm.deals.models import Opportunity, OpportunityLine, StageChange
from crm.deals.services import opportunity_create, opportunity_part_save
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

START = reverse("crm:deal_import_start")
CLOSE = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
HEADER = ["Customer", "Credit code", "Deal", "Stage", "Expected close", "Probability (%)", "Amount (CNY)",
          "Line 1: model", "Line 1: quantity", "Line 1: unit price (CNY)",
          "Line 2: model", "Line 2: quantity", "Line 2: unit price (CNY)"]  # fmt: skip


def csv_file(rows, name="deals.csv"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8-sig"))


def xlsx_file(rows, name="deals.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(client, upload_file):
    response = client.post(START, {"file": upload_file})
    assert response.status_code == 302, response.content.decode()[:3000]
    return ImportJob.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def confirm(client, job):
    assert client.post(reverse("crm:import_confirm", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    return job


def errors(job, number):
    return " ".join(message for _column, message in job.rows.get(number=number).errors)


@pytest.fixture
def customers(rep):
    stranger = UserFactory(role="rep", team=TeamFactory(name="B"))
    return {
        "held": CustomerFactory(owner=rep, name="青岛海川机械有限公司", credit_code=""),
        "coded": CustomerFactory(owner=rep, name="青岛信用机械有限公司", credit_code="91370200MA3C8K2X1B"[:18]),
        "pool": CustomerFactory(owner=None, name="青岛公海机械有限公司"),
        "foreign": CustomerFactory(owner=stranger, name="济南别人家有限公司"),
    }


def rows_for(customers):
    return [
        HEADER,
        ["青岛海川机械有限公司", "", "两台立式加工中心", "", CLOSE, "", "", "VMC850", "2", "450000", "CK6150", "1",
         "180000"],
        ["", customers["coded"].credit_code, "五轴方案", "Proposal", CLOSE, "", "1200000"] + [""] * 6,
        ["青岛公海机械有限公司", "", "公海的机会", "", CLOSE, "", "100000"] + [""] * 6,
        ["济南别人家有限公司", "", "别人的机会", "", CLOSE, "", "100000"] + [""] * 6,
        ["青岛海川机械有限公司", "", "", "不存在的阶段", "2027-13-40", "150", "abc"] + [""] * 6,
        ["青岛海川机械有限公司", "", "金额不符", "", CLOSE, "", "999", "VMC850", "1", "1000"] + [""] * 3,
    ]  # fmt: skip


def test_the_dry_run_reports_each_bad_row_and_writes_no_deal(manager_client, customers):
    job = upload(manager_client, csv_file(rows_for(customers)))
    assert job.kind == ImportKind.DEALS and job.state == ImportState.CHECKED
    assert (job.valid_rows, job.invalid_rows) == (2, 4)
    assert not Opportunity.objects.exists()
    assert "shared pool" in errors(job, 4)
    assert "No customer you can see" in errors(job, 5)  # another team's customer does not exist for the manager
    bad = errors(job, 6)
    assert "No stage in use" in bad and "This field is required" in bad and "valid date" in bad
    assert "100" in bad  # probability at most 100
    assert "differs from the sum of the lines (1000" in errors(job, 7)
    assert job.rows.get(number=3).warnings  # enters Proposal without its requirements: said before the import
    page = manager_client.get(reverse("crm:import_job", args=[job.pk])).content.decode()
    assert "Import 2 deals" in page


def test_confirmed_rows_become_deals_through_the_services(manager_client, manager, rep, customers):
    job = confirm(manager_client, upload(manager_client, csv_file(rows_for(customers))))
    assert job.state == ImportState.DONE and (job.imported_rows, job.rejected_rows) == (2, 4)
    first = Opportunity.objects.get(title="两台立式加工中心")
    assert first.customer == customers["held"] and first.amount == Decimal(1_080_000)
    assert [(line.model, line.quantity) for line in first.lines.all()] == [("VMC850", 2), ("CK6150", 1)]
    assert first.stage.order == 1 and first.probability == 10 and first.created_by == manager
    proposal = Opportunity.objects.get(title="五轴方案")
    assert proposal.customer == customers["coded"] and proposal.amount == Decimal(1_200_000)
    assert proposal.stage.name_en == "Proposal" and proposal.probability == 40
    move = proposal.stage_changes.get(from_stage__isnull=False)
    assert "technical_gatekeeper" in move.passed_over and "deals.csv, row 3" in move.reason
    assert job.rows.get(number=2).opportunity == first
    report = b"".join(manager_client.get(reverse("crm:import_errors", args=[job.pk])).streaming_content)
    lines = report.decode("utf-8-sig").splitlines()
    assert len(lines) == 5 and "row 4" in lines[1] and "row 7" in lines[4]


def test_a_row_refused_half_way_leaves_nothing(manager_client, customers, monkeypatch):
    job = upload(manager_client, csv_file(rows_for(customers)[:3]))
    stages_before = StageChange.objects.count()

    def refuse(**kwargs):
        raise ValidationError("停")

    monkeypatch.setattr("claims.imports.deals.opportunity_move", refuse)
    job = confirm(manager_client, job)
    assert (job.imported_rows, job.rejected_rows) == (1, 1)
    assert not Opportunity.objects.filter(title="五轴方案").exists()  # created, lined, then refused: all undone
    assert "停" in errors(job, 3)
    assert StageChange.objects.count() == stages_before + 1  # the first row's opening only


def test_a_customer_released_after_the_dry_run_is_rejected_with_the_reason(manager_client, customers):
    job = upload(manager_client, csv_file(rows_for(customers)[:2]))
    customers["held"].owner = None
    customers["held"].save()
    job = confirm(manager_client, job)
    assert job.rejected_rows == 1 and "shared pool" in errors(job, 2)
    assert not Opportunity.objects.exists()


def test_an_exported_file_edited_and_uploaded_again_changes_its_deals(manager_client, rep, customers):
    deal = opportunity_create(
        opportunity=Opportunity(customer=customers["held"], title="已有机会", expected_close_on=CLOSE), actor=rep
    )
    opportunity_part_save(part=OpportunityLine(opportunity=deal, product="车床", model="CK6150", unit_price=180000),
                          actor=rep)  # fmt: skip
    untouched = opportunity_create(
        opportunity=Opportunity(customer=customers["coded"], title="不改的机会", expected_close_on=CLOSE), actor=rep
    )
    exported = manager_client.get(reverse("deals:export", args=["xlsx"]))
    book = load_workbook(io.BytesIO(exported.content))
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    header = rows[0]
    row = next(row for row in rows if row[0] == deal.pk)
    row[header.index("Deal")] = "已有机会（改）"
    row[header.index("Stage")] = "Project approval"
    row[header.index("Line 1: quantity")] = 2
    row[header.index("Amount (CNY)")] = None
    job = upload(manager_client, xlsx_file(rows))
    assert not job.ignored_columns  # every column the export writes is known to the import
    assert job.invalid_rows == 0 and job.rows.get(number=rows.index(row) + 1).warnings  # need not confirmed
    assert Opportunity.objects.get(pk=deal.pk).title == "已有机会"  # the dry run writes nothing
    job = confirm(manager_client, job)
    assert job.imported_rows == 2 and Opportunity.objects.count() == 2  # changed, not imported twice
    deal.refresh_from_db()
    assert (deal.title, deal.stage.name_en, deal.amount) == ("已有机会（改）", "Project approval", Decimal(360_000))
    assert [(line.model, line.quantity) for line in deal.lines.all()] == [("CK6150", 2)]
    assert "deals.xlsx, row" in deal.stage_changes.latest("pk").reason
    untouched_changes = untouched.stage_changes.count()
    untouched.refresh_from_db()
    assert untouched.title == "不改的机会" and untouched.stage_changes.count() == untouched_changes == 1


def test_an_id_the_importer_may_not_change_is_refused(manager_client, customers):
    stranger = customers["foreign"].owner
    theirs = opportunity_create(
        opportunity=Opportunity(customer=customers["foreign"], title="别人的", expected_close_on=CLOSE),
        actor=stranger,
    )
    rows = [["ID", *HEADER], [theirs.pk, "青岛海川机械有限公司", "", "改名", "", CLOSE] + [""] * 8,
            ["abc", "青岛海川机械有限公司", "", "改名", "", CLOSE] + [""] * 8]  # fmt: skip
    job = upload(manager_client, csv_file(rows))
    assert "No deal you can see has this ID" in errors(job, 2) and "No deal you can see" in errors(job, 3)
    job = confirm(manager_client, job)
    theirs.refresh_from_db()
    assert theirs.title == "别人的" and job.imported_rows == 0


def test_an_export_without_ids_imports_as_the_same_deals_in_chinese(manager_client, rep, customers):
    deal = opportunity_create(
        opportunity=Opportunity(customer=customers["held"], title="往返机会", expected_close_on=CLOSE), actor=rep
    )
    opportunity_part_save(part=OpportunityLine(opportunity=deal, product="车床", model="CK6150", quantity=3,
                                               unit_price=180000), actor=rep)  # fmt: skip
    exported = manager_client.get(reverse("deals:export", args=["xlsx"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    book = load_workbook(io.BytesIO(exported.content))
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    rows[1][0] = None  # the ID cleared: a new deal
    Opportunity.objects.filter(pk=deal.pk).update(title="旧的")
    job = confirm(manager_client, upload(manager_client, xlsx_file(rows)))
    assert job.imported_rows == 1, job.rows.get().errors
    again = Opportunity.objects.get(title="往返机会")
    assert (again.customer, again.amount, again.expected_close_on.isoformat()) == (deal.customer, 540000, CLOSE)
    assert [(line.product, line.model, line.quantity) for line in again.lines.all()] == [("车床", "CK6150", 3)]


def test_a_file_without_the_deal_columns_is_refused_at_upload(manager_client):
    response = manager_client.post(START, {"file": csv_file([["Company name", "Phones"], ["x", "1"]])})
    assert response.status_code == 200 and "has no column" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_reps_do_not_import_deals(rep_client):
    assert rep_client.get(START).status_code == 403


def test_the_template_has_the_columns_the_import_reads(manager_client):
    response = manager_client.get(reverse("crm:deal_import_template", args=["csv"]))
    header = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert "Customer" in header and "Line 1: unit price (CNY)" in header


def test_the_preview_costs_the_same_queries_for_few_rows_and_many(manager_client, customers):
    def counted(count):
        rows = [HEADER] + [["青岛海川机械有限公司", "", f"机会{i}", "", CLOSE, "", "1000"] + [""] * 6
                           for i in range(count)]  # fmt: skip
        job = upload(manager_client, csv_file(rows))
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(reverse("crm:import_job", args=[job.pk])).status_code == 200
        return len(queries)

    assert counted(2) == counted(12)
