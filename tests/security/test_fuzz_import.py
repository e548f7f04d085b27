"""Hostile spreadsheets: random and hostile cells through upload, dry run, import, preview and error report.

Whatever the cells hold, no request fails with a server error, every row ends imported or rejected
(none lost, none half-written: each imported row is one customer with its history) and no page
carries the cells' markup unescaped.
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.imports.models import ImportJob, ImportState, RowState
from claims.models import OwnershipEvent
from crm.models import Contact, Customer
from tests.security import hostile as h

pytestmark = pytest.mark.django_db

HEADER = ["Company name", "Phones", "Credit code", "Owner", "Grade", "Contact 1: name", "Contact 1: phones"]
VALID = ["潍坊恒锐精密机械有限公司", "0536-88886666", "", "", "B", "王经理", "13900001111"]
# Per column: the valid value most of the time, else any hostile string, random text or nothing.
CELL = [
    h.weighted((6, st.just(valid)), (2, st.sampled_from(h.HOSTILE_TEXT)), (1, h.any_text()), (1, st.just("")))
    for valid in VALID
]
# Each row a different company, so that rows are not merely duplicates of the first.
ROW = st.tuples(*CELL).map(list)
ROWS = st.lists(ROW, min_size=1, max_size=4).map(
    lambda rows: [[f"{row[0]}{number}" if row[0] else "", *row[1:]] for number, row in enumerate(rows)]
)


def upload_file(rows, encoding):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    data = buffer.getvalue().encode(encoding, errors="replace")
    return SimpleUploadedFile("hostile.csv", data)


def no_raw_markup(response):
    assert response.status_code < 500, response.content[:2000]
    if response.get("Content-Type", "").startswith("text/html"):
        for markup in h.RAW_MARKUP:
            assert markup not in response.content


# Each example's writes are rolled back inside it, so the manager fixture is the same for every example.
@settings(
    h.FUZZ, max_examples=25, suppress_health_check=[*h.FUZZ.suppress_health_check, HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, encoding=st.sampled_from(["utf-8-sig", "gb18030"]))
def test_hostile_cells_are_imported_whole_or_rejected_and_never_break_a_page(manager_client, rows, encoding):
    with transaction.atomic():
        customers, events, contacts = Customer.objects.count(), OwnershipEvent.objects.count(), Contact.objects.count()
        response = manager_client.post(reverse("crm:import_start"), {"file": upload_file(rows, encoding)})
        no_raw_markup(response)
        if response.status_code == 302:
            job = ImportJob.objects.latest("pk")
            no_raw_markup(manager_client.get(reverse("crm:import_job", args=[job.pk])))
            no_raw_markup(manager_client.post(reverse("crm:import_confirm", args=[job.pk])))
            job.refresh_from_db()
            if job.state == ImportState.DONE:
                assert job.imported_rows + job.rejected_rows == job.total_rows
                imported = job.rows.filter(state=RowState.IMPORTED)
                assert imported.count() == job.imported_rows
                assert Customer.objects.count() - customers == job.imported_rows
                # Each imported row is a registration: one history entry, and its customer is held or pooled.
                assert OwnershipEvent.objects.count() - events == job.imported_rows
                for row in imported.select_related("customer"):
                    assert row.customer.owner_id is not None or row.customer.pool_since is not None
                # Contacts only of imported customers: a rejected row left none behind.
                new_customers = [row.customer_id for row in imported]
                assert Contact.objects.count() - contacts == Contact.objects.filter(customer__in=new_customers).count()
                errors = manager_client.get(reverse("crm:import_errors", args=[job.pk]))
                assert errors.status_code < 500
            else:
                assert Customer.objects.count() == customers  # nothing imported before confirmation succeeds
        transaction.set_rollback(True)


DEAL_HEADER = ["Customer", "Deal", "Stage", "Expected close", "Probability (%)", "Amount (CNY)", "Line 1: model",
               "Line 1: quantity", "Line 1: unit price (CNY)"]  # fmt: skip
DEAL_VALID = [
    "潍坊恒锐精密机械有限公司",
    "两台立式加工中心",
    "Proposal",
    "2031-03-01",
    "30",
    "",
    "VMC850",
    "2",
    "450000",
]
DEAL_ROWS = st.lists(
    st.tuples(*[
        h.weighted((6, st.just(valid)), (2, st.sampled_from(h.HOSTILE_TEXT)), (1, h.any_text()), (1, st.just("")))
        for valid in DEAL_VALID
    ]).map(list),
    min_size=1,
    max_size=4,
)  # fmt: skip


@settings(
    h.FUZZ, max_examples=10, suppress_health_check=[*h.FUZZ.suppress_health_check, HealthCheck.function_scoped_fixture]
)
@given(rows=DEAL_ROWS, encoding=st.sampled_from(["utf-8-sig", "gb18030"]))
def test_hostile_deal_cells_become_whole_deals_or_rejections(manager_client, manager, rows, encoding):
    from crm.deals.models import Opportunity, OpportunityLine

    with transaction.atomic():
        Customer.objects.create(name="潍坊恒锐精密机械有限公司", owner=manager, created_by=manager)
        deals, lines = Opportunity.objects.count(), OpportunityLine.objects.count()
        buffer = io.StringIO()
        csv.writer(buffer).writerows([DEAL_HEADER, *rows])
        upload = SimpleUploadedFile("deals.csv", buffer.getvalue().encode(encoding, errors="replace"))
        response = manager_client.post(reverse("crm:deal_import_start"), {"file": upload})
        no_raw_markup(response)
        if response.status_code == 302:
            job = ImportJob.objects.latest("pk")
            no_raw_markup(manager_client.get(reverse("crm:import_job", args=[job.pk])))
            assert Opportunity.objects.count() == deals  # the dry run writes no deal
            no_raw_markup(manager_client.post(reverse("crm:import_confirm", args=[job.pk])))
            job.refresh_from_db()
            if job.state == ImportState.DONE:
                assert job.imported_rows + job.rejected_rows == job.total_rows
                assert Opportunity.objects.count() - deals == job.imported_rows
                # Lines only of imported deals, and each imported deal's amount is its lines' sum.
                for deal in Opportunity.objects.exclude(pk__in=[]).prefetch_related("lines"):
                    assert deal.amount == sum(line.amount for line in deal.lines.all())
                assert (
                    OpportunityLine.objects.count() - lines
                    == OpportunityLine.objects.filter(
                        opportunity__in=job.rows.filter(state=RowState.IMPORTED).values("opportunity")
                    ).count()
                )
                assert manager_client.get(reverse("crm:import_errors", args=[job.pk])).status_code < 500
        transaction.set_rollback(True)
