"""Import of customers and contacts from CSV and XLSX: dry run, per-row errors, whole rows, the pool, round trip."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook

from accounts.models import AuditAction, AuditEntry
from claims.imports import services, tasks
from claims.imports.models import ImportJob, ImportRow, ImportState, RowState
from claims.models import Claim, EventKind, OwnershipEvent
from crm.models import Contact, Customer, GradeChange, Notification, PoolReason
from crm.validators import credit_code_check_character, credit_code_complete, credit_code_error
from tests.concurrency import run_at_once
from tests.crm.test_celery_worker import database_url
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from tests.failures.conftest import celery_on_private_redis, private_redis  # noqa: F401 - fixtures
from tests.failures.servers import kill_worker, start_worker, wait_for

pytestmark = pytest.mark.django_db

START = reverse("crm:import_start")


def credit_code(first_16="91370200MA3C8K2X"):
    return credit_code_complete(first_16)


def validate_message(code):
    return credit_code_error(code).messages[0]


def csv_file(rows, *, encoding="utf-8-sig", name="customers.csv", delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding))


def xlsx_file(rows, name="customers.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(client, upload_file):
    response = client.post(START, {"file": upload_file})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def confirm(client, job):
    response = client.post(reverse("crm:import_confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def row_errors(job, number):
    return job.rows.get(number=number).errors


HEADER = ["Company name", "Phones", "Credit code", "Owner", "Contact 1: name", "Contact 1: phones", "Contact 1: email"]


@pytest.fixture
def other_team_rep(db):
    return UserFactory(role="rep", team=TeamFactory(), username="farrep")


class TestPermission:
    def test_a_rep_may_not_import(self, rep_client, manager):
        assert rep_client.get(START).status_code == 403
        assert rep_client.post(START, {"file": csv_file([HEADER])}).status_code == 403
        job = ImportJob.objects.create(created_by=manager, file_name="x.csv", file_format="csv", language="en")
        for name in ("import_job", "import_progress", "import_errors"):
            assert rep_client.get(reverse(f"crm:{name}", args=[job.pk])).status_code == 403
        assert rep_client.post(reverse("crm:import_confirm", args=[job.pk])).status_code == 403

    def test_a_manager_sees_only_their_own_imports_and_the_list_links_to_the_import(self, manager_client, admin_user):
        others = ImportJob.objects.create(created_by=admin_user, file_name="x.csv", file_format="csv", language="en")
        assert manager_client.get(reverse("crm:import_job", args=[others.pk])).status_code == 404
        assert manager_client.post(reverse("crm:import_confirm", args=[others.pk])).status_code == 404
        assert 'data-testid="import"' in manager_client.get(reverse("crm:customer_list")).content.decode()

    def test_an_admin_sees_anyones_import_but_does_not_act_on_it(self, admin_client, manager):
        job = ImportJob.objects.create(created_by=manager, file_name="x.csv", file_format="csv", language="en")
        assert admin_client.get(reverse("crm:import_job", args=[job.pk])).status_code == 200
        assert admin_client.post(reverse("crm:import_confirm", args=[job.pk])).status_code == 403


class TestDryRun:
    def test_each_kind_of_error_is_reported_on_its_row_and_column_and_nothing_is_written(
        self, manager_client, rep, other_team_rep
    ):
        held = CustomerFactory(name="烟台老客户有限公司", phones="0535-6666666", owner=rep)
        bad_code = credit_code()[:-1] + ("0" if credit_code()[-1] != "0" else "1")
        job = upload(
            manager_client,
            csv_file(
                [
                    HEADER,
                    [
                        "青岛好客户机械有限公司",
                        "0532-81234567",
                        credit_code(),
                        rep.username,
                        "王建国",
                        "13800138000",
                        "",
                    ],
                    ["青岛坏代码有限公司", "0532-81234568", bad_code, "", "", "", ""],
                    ["", "0532-81234569", "", "", "", "", ""],
                    ["青岛没电话有限公司", "", "", "", "", "", ""],
                    ["烟台老客户股份有限公司", "0535-1234567", "", "", "", "", ""],
                    ["青岛好客户机械（有限公司）", "0532-80000000", "", "", "", "", ""],
                    ["青岛没人管有限公司", "0532-81234570", "", "nobody", "", "", ""],
                    ["青岛外组有限公司", "0532-81234571", "", "farrep", "", "", ""],
                    ["青岛联系人坏有限公司", "0532-81234572", "", "", "李四", "", "not-an-email"],
                    ["青岛电话重了有限公司", "0535 6666666", "", "", "", "", ""],
                ]
            ),
        )
        assert job.state == ImportState.CHECKED
        assert (job.total_rows, job.valid_rows, job.invalid_rows) == (10, 1, 9)
        assert row_errors(job, 2) == []
        assert row_errors(job, 3) == [
            [
                "Credit code",
                f"The check digit of this credit code (the 18th character) is wrong: expected {credit_code()[-1]}.",
            ]
        ]
        assert row_errors(job, 4) == [["Company name", "This field is required."]]
        assert row_errors(job, 5) == [["Phones", "This field is required."]]
        assert row_errors(job, 6) == [["", f"Already in the CRM as “{held.name}” (same name), held by {rep}."]]
        assert row_errors(job, 7) == [["", "Same customer as row 2 (same name)."]]
        assert row_errors(job, 8) == [["Owner", "No one in your teams is called “nobody”."]]
        assert row_errors(job, 9) == [
            ["Owner", f"{other_team_rep} is not in your teams: you may give customers only to people you manage."]
        ]
        assert row_errors(job, 10) == [["Contact 1: email", "Enter a valid email address."]]
        assert row_errors(job, 11) == [["", f"Already in the CRM as “{held.name}” (same phone), held by {rep}."]]
        assert Customer.objects.count() == 1 and not Contact.objects.exists()

        page = manager_client.get(reverse("crm:import_job", args=[job.pk])).content.decode()
        assert "The check digit of this credit code (the 18th character) is wrong" in page
        assert 'data-testid="confirm"' in page and "Import 1 customer" in page

    def test_a_wrong_part_of_a_credit_code_gets_the_forms_message(self, manager_client):
        wrong_organization_code = "91350100M000100Y5"  # the organization code's own check character is 4
        wrong_organization_code += credit_code_check_character(wrong_organization_code)
        job = upload(
            manager_client,
            csv_file(
                [
                    ["Company name", "Phones", "Credit code"],
                    ["青岛甲有限公司", "0532-81111111", wrong_organization_code],
                    ["青岛乙有限公司", "0532-82222222", "A4" + credit_code()[2:]],
                ]
            ),
        )
        [[column, message]] = row_errors(job, 2)
        assert (column, message) == ("Credit code", validate_message(wrong_organization_code))
        assert "organization code" in message and "characters 9 to 17" in message
        [[column, message]] = row_errors(job, 3)
        assert column == "Credit code" and "kind of organization" in message
        assert not Customer.objects.exists()

    def test_a_departed_owner_and_a_duplicate_credit_code_in_the_file(self, manager_client, rep, manager):
        gone = UserFactory(role="rep", team=manager.led_teams.get(), username="gone")
        gone.mark_departed()
        job = upload(
            manager_client,
            csv_file(
                [
                    ["Company name", "Phones", "Credit code", "Owner"],
                    ["青岛甲有限公司", "0532-81111111", credit_code(), ""],
                    ["青岛乙有限公司", "0532-82222222", credit_code(), ""],
                    ["青岛丙有限公司", "0532-83333333", "", "gone"],
                ]
            ),
        )
        assert row_errors(job, 3) == [["", "Same customer as row 2 (same credit code)."]]
        assert "has left the company" in row_errors(job, 4)[0][1]

    def test_values_are_read_as_people_type_them(self, manager_client, rep):
        job = upload(
            manager_client,
            csv_file(
                [
                    [
                        "Company name",
                        "Phones",
                        "Annual purchases (CNY)",
                        "Share of wallet (%)",
                        "Status",
                        "Industry",
                        "Strategic partner",
                        "Owner",
                        "Grade",
                    ],
                    [
                        "青岛万元户有限公司",
                        "0532-81111111",
                        "150万",
                        "20%",
                        "Active customer",
                        "automotive",
                        "是",
                        str(rep),
                        "b",
                    ],
                    ["青岛错值有限公司", "0532-82222222", "很多", "", "maybe", "", "perhaps", "", "Z"],
                ]
            ),  # fmt: skip
        )
        assert row_errors(job, 2) == []
        messages = dict(row_errors(job, 3))
        assert messages["Annual purchases (CNY)"] == "Enter a number."
        assert messages["Status"].startswith("Select a valid choice.")
        assert messages["Strategic partner"] == "Write yes or no, not “perhaps”."
        assert messages["Grade"] == "Write grade A, B or C, not “Z”."

        job = confirm(manager_client, job)
        customer = Customer.objects.get()
        assert (customer.annual_purchases, customer.share_of_wallet, customer.status, customer.industry) == (
            Decimal(1_500_000),
            20,
            "active",
            "automotive",
        )
        assert customer.is_strategic and customer.owner == rep
        assert customer.grade == "B" and customer.grade_overridden  # strategic suggests A; the file says B
        assert GradeChange.objects.filter(customer=customer, is_override=True, to_grade="B").exists()

    def test_a_file_without_the_required_columns_is_refused_at_upload(self, manager_client):
        response = manager_client.post(START, {"file": csv_file([["Company name", "City"], ["青岛甲", "青岛"]])})
        assert response.status_code == 200
        assert "The file has no column “Phones”" in response.context["form"].errors["file"][0]
        assert not ImportJob.objects.exists()

    def test_an_old_excel_file_is_refused_with_advice(self, manager_client):
        response = manager_client.post(START, {"file": SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0rest")})
        assert "save it as .xlsx or as CSV" in response.context["form"].errors["file"][0]

    def test_a_damaged_xlsx_is_refused_at_upload(self, manager_client):
        response = manager_client.post(START, {"file": SimpleUploadedFile("a.xlsx", b"PK\x03\x04 not really a zip")})
        assert "The XLSX file could not be opened" in response.context["form"].errors["file"][0]

    def test_a_file_over_the_row_limit_fails_with_the_reason_and_may_be_discarded(self, manager_client, monkeypatch):
        monkeypatch.setattr(services, "MAX_ROWS", 2)
        rows = [["Company name", "Phones"]] + [[f"青岛第{n}号有限公司", f"0532-8{n:07d}"] for n in range(3)]
        job = upload(manager_client, csv_file(rows))
        assert job.state == ImportState.FAILED
        page = manager_client.get(reverse("crm:import_job", args=[job.pk])).content.decode()
        assert "The file has more than 2 rows: split it into several files." in page
        manager_client.post(reverse("crm:import_discard", args=[job.pk]))
        assert not ImportJob.objects.exists() and not ImportRow.objects.exists()

    def test_unknown_columns_are_shown_and_blank_lines_counted(self, manager_client):
        job = upload(
            manager_client,
            csv_file([["Company name", "Phones", "Fax"], ["青岛甲有限公司", "0532-81111111", "x"], ["", "", ""]]),
        )
        assert job.ignored_columns == ["Fax"] and job.blank_rows == 1 and job.total_rows == 1
        assert (
            "These columns are not read: Fax."
            in manager_client.get(reverse("crm:import_job", args=[job.pk])).content.decode()
        )

    def test_cells_under_no_title_are_an_error_not_lost(self, manager_client):
        job = upload(
            manager_client, csv_file([["Company name", "Phones"], ["青岛甲有限公司", "0532-81111111", "多余"]])
        )
        assert row_errors(job, 2) == [
            ["", "1 cell(s) stand in columns without a title; give the column a title or empty the cells."]
        ]

    def test_a_similar_name_is_a_warning_and_the_row_is_imported(self, manager_client, rep):
        CustomerFactory(name="青岛杰航精密机械有限公司", phones="0532-80000001", owner=rep)
        job = upload(manager_client, csv_file([["Company name", "Phones"], ["青岛杰航精密", "0532-81111111"]]))
        row = job.rows.get()
        assert row.state == RowState.VALID and "A similar name is in the CRM" in row.warnings[0][1]
        assert job.warning_rows == 1
        assert confirm(manager_client, job).imported_rows == 1


class TestImport:
    def test_good_rows_are_registered_with_owner_claim_contacts_and_history_others_go_to_the_pool(
        self, manager_client, manager, rep
    ):
        job = upload(
            manager_client,
            csv_file(
                [
                    HEADER + ["Contact 2: name", "Contact 2: buying role", "Contact 2: primary contact"],
                    [
                        "青岛甲有限公司",
                        "0532-81111111",
                        credit_code(),
                        rep.username,
                        "王建国",
                        "13800138000",
                        "wang@example.cn",
                        "李工",
                        "Technical gatekeeper",
                        "yes",
                    ],
                    ["青岛乙有限公司", "0532-82222222", "", "", "赵六", "", "", "", "", ""],
                    ["青岛丙有限公司", "", "", "", "", "", "", "", "", ""],
                ]
            ),  # fmt: skip
        )
        job = confirm(manager_client, job)
        assert job.state == ImportState.DONE
        assert (job.total_rows, job.imported_rows, job.rejected_rows) == (3, 2, 1)
        assert job.imported_rows + job.rejected_rows == job.total_rows

        owned = Customer.objects.get(name="青岛甲有限公司")
        assert owned.owner == rep and owned.created_by == manager and owned.credit_code == credit_code()
        assert owned.name_normalized == "青岛甲" and owned.name_pinyin == "qingdaojia"
        assert list(owned.phone_numbers.values_list("number", flat=True)) == ["053281111111"]
        assert Claim.objects.active().get(customer=owned).holder == rep
        event = OwnershipEvent.objects.get(customer=owned)
        assert (event.kind, event.actor, event.to_user) == (EventKind.REGISTERED, manager, rep)
        assert "customers.csv, row 2" in event.reason_display
        assert sorted(owned.contacts.values_list("name", "buying_role", "is_primary", "email")) == [
            ("李工", "technical", True, ""),
            ("王建国", "other", False, "wang@example.cn"),
        ]
        assert owned.grade_changes.get().to_grade == owned.grade == "C"
        assert owned.next_follow_up_on is not None

        pooled = Customer.objects.get(name="青岛乙有限公司")
        assert pooled.owner is None and pooled.pool_reason == PoolReason.IMPORTED and pooled.pool_since
        assert not Claim.objects.filter(customer=pooled).exists()
        assert OwnershipEvent.objects.get(customer=pooled).kind == EventKind.REGISTERED
        assert pooled.contacts.get().name == "赵六"

        assert not Customer.objects.filter(name="青岛丙有限公司").exists()
        assert job.rows.get(number=2).customer == owned

    def test_the_rep_hears_once_and_the_audit_log_has_the_counts(self, manager_client, manager, rep):
        rows = [["Company name", "Phones", "Owner"]] + [
            [f"青岛第{n}号有限公司", f"0532-8{n:07d}", rep.username] for n in range(3)
        ]
        job = confirm(manager_client, upload(manager_client, csv_file(rows)))
        notification = Notification.objects.get(user=rep)
        assert "3 customers imported for you from customers.csv" in notification.detail_display
        assert not Notification.objects.filter(user=manager).exists()
        entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
        assert entry.actor == manager and entry.subject_id == str(job.pk)
        assert entry.detail["imported"] == 3 and entry.detail["rejected"] == 0

    @pytest.mark.django_db(transaction=True)
    def test_a_row_is_imported_whole_or_not_at_all(self, manager_client, rep):
        """The referring customer goes between dry run and import: the database refuses the row at its commit,
        after customer, claim, history and contacts were written, and all of them go."""
        referrer = CustomerFactory(name="青岛介绍人有限公司", phones="0532-80000000")
        job = upload(
            manager_client,
            csv_file(
                [
                    ["Company name", "Phones", "Owner", "Referred by", "Contact 1: name", "Contact 2: name"],
                    ["青岛甲有限公司", "0532-81111111", rep.username, "青岛介绍人有限公司", "王一", "王二"],
                    ["青岛乙有限公司", "0532-82222222", rep.username, "", "李一", ""],
                ]
            ),
        )
        assert job.valid_rows == 2
        referrer.delete()
        job = confirm(manager_client, job)

        assert (job.imported_rows, job.rejected_rows) == (1, 1)
        assert row_errors(job, 2)[0][1].startswith("The database refused the row:")
        assert list(Customer.objects.values_list("name", flat=True)) == ["青岛乙有限公司"]
        assert list(Contact.objects.values_list("name", flat=True)) == ["李一"]
        assert Claim.objects.count() == OwnershipEvent.objects.count() == 1
        assert AuditEntry.objects.filter(action=AuditAction.OWNERSHIP).count() == 1

    def test_a_row_that_became_a_duplicate_after_the_dry_run_is_rejected_with_the_reason(self, manager_client, rep):
        job = upload(manager_client, csv_file([["Company name", "Phones"], ["青岛甲有限公司", "0532-81111111"]]))
        CustomerFactory(name="别的名字有限公司", phones="0532 8111 1111", owner=rep)
        job = confirm(manager_client, job)
        assert (job.imported_rows, job.rejected_rows) == (0, 1)
        assert row_errors(job, 2) == [["", f"Already in the CRM as “别的名字有限公司” (same phone), held by {rep}."]]
        assert Customer.objects.count() == 1

    def test_a_referral_to_an_earlier_row_of_the_file(self, manager_client):
        job = upload(
            manager_client,
            csv_file(
                [
                    ["Company name", "Phones", "Referred by"],
                    ["青岛介绍人有限公司", "0532-81111111", ""],
                    ["青岛新客户有限公司", "0532-82222222", "青岛介绍人有限公司"],
                    ["青岛乱介绍有限公司", "0532-83333333", "不存在的公司"],
                ]
            ),
        )
        assert row_errors(job, 3) == []
        assert row_errors(job, 4) == [["Referred by", "No customer you can see is called “不存在的公司”."]]
        confirm(manager_client, job)
        assert Customer.objects.get(name="青岛新客户有限公司").referred_by.name == "青岛介绍人有限公司"

    def test_confirming_twice_or_running_again_imports_nothing_twice(self, manager_client):
        job = upload(manager_client, csv_file([["Company name", "Phones"], ["青岛甲有限公司", "0532-81111111"]]))
        confirm(manager_client, job)
        response = manager_client.post(reverse("crm:import_confirm", args=[job.pk]), follow=True)
        assert "This import has already been started." in response.content.decode()
        assert services.import_job_run(job.pk) is True
        assert Customer.objects.count() == 1
        job.refresh_from_db()
        assert (job.imported_rows, job.rejected_rows) == (1, 0)

    def test_an_interrupted_import_resumes_where_it_stopped(self, manager_client, manager):
        rows = [["Company name", "Phones"]] + [[f"青岛第{n}号有限公司", f"0532-8{n:07d}"] for n in range(5)]
        rows.append(["", "0532-89999999"])
        job = upload(manager_client, csv_file(rows))
        assert services.import_job_confirm(job=job, actor=manager)
        assert services.import_job_run(job.pk, seconds=0) is False  # stops after one row, as a killed task would
        job.refresh_from_db()
        assert (job.state, job.imported_rows) == (ImportState.IMPORTING, 1)
        assert services.import_job_run(job.pk) is True
        job.refresh_from_db()
        assert (job.total_rows, job.imported_rows, job.rejected_rows) == (6, 5, 1)
        assert Customer.objects.count() == 5

    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)
    def test_two_confirmations_and_two_runs_at_once_import_each_row_once(self, manager_client, manager):
        rows = [["Company name", "Phones"]] + [[f"青岛第{n}号有限公司", f"0532-8{n:07d}"] for n in range(12)]
        job = upload(manager_client, csv_file(rows))
        started, errors = run_at_once(lambda: services.import_job_confirm(job=job, actor=manager), threads=2)
        assert not errors and sorted(started) == [False, True]

        finished, errors = run_at_once(lambda: services.import_job_run(job.pk), threads=2)
        assert not errors and finished == [True, True]
        job.refresh_from_db()
        assert (job.state, job.imported_rows, job.rejected_rows) == (ImportState.DONE, 12, 0)
        assert Customer.objects.filter(pool_reason=PoolReason.IMPORTED).count() == 12
        assert OwnershipEvent.objects.count() == 12  # one registration each
        assert AuditEntry.objects.filter(action=AuditAction.IMPORT).count() == 1

    def test_a_check_cut_short_is_carried_on_by_the_next_run_and_the_old_run_writes_nothing_more(self, manager):
        content = "Company name,Phones\n甲有限公司,0532-81111111\n乙有限公司,0532-82222222\n丙有限公司,0532-81111111\n"
        job = services.import_job_create(actor=manager, file_name="a.csv", content=content.encode(), language="en")
        assert services.import_job_check(job.pk, seconds=0) is False  # one row, then out of time
        job.refresh_from_db()
        assert (job.state, job.rows.count()) == (ImportState.CHECKING, 1)
        cut_short = job.run_token

        assert services.import_job_check(job.pk) is True  # the next task of the chain, or a resume
        job.refresh_from_db()
        assert (job.state, job.total_rows, job.valid_rows) == (ImportState.CHECKED, 3, 2)
        assert row_errors(job, 4) == [["", "Same customer as row 2 (same phone)."]]  # remembered across runs
        late = ImportRow(job=job, number=9, cells=[], state=RowState.VALID)
        assert services._still_in_charge(job.pk, cut_short, [late], valid_rows=99) is False
        assert not job.rows.filter(number=9).exists()

    def test_a_done_job_accounts_for_every_row_in_the_database(self, manager):
        job = ImportJob.objects.create(created_by=manager, file_name="x.csv", file_format="csv", language="en")
        ImportRow.objects.create(job=job, number=2, state=RowState.VALID)
        job.state, job.total_rows, job.imported_rows = ImportState.DONE, 1, 0
        with pytest.raises(IntegrityError):
            job.save()

    def test_the_preview_page_costs_the_same_queries_for_few_rows_and_many(
        self, manager_client, rep, django_assert_num_queries
    ):
        def imported(count):
            rows = [["Company name", "Phones", "Owner", "Contact 1: name"]]
            rows += [
                [f"青岛{count}号第{n}厂有限公司", f"0532-8{count}{n:05d}", rep.username, "王"] for n in range(count)
            ]
            rows.append(["", "0532-89999999", "", ""])
            return confirm(manager_client, upload(manager_client, csv_file(rows)))

        few, many = imported(2), imported(40)
        with CaptureQueriesContext(connection) as queries:
            page = manager_client.get(reverse("crm:import_job", args=[few.pk]))
        assert page.status_code == 200 and 'data-testid="row-4"' in page.content.decode()
        with django_assert_num_queries(len(queries)):
            page = manager_client.get(reverse("crm:import_job", args=[many.pk]), {"show": "all"})
        assert page.content.decode().count('data-testid="row-') == 41

    def test_discard_a_checked_import(self, manager_client):
        job = upload(manager_client, csv_file([["Company name", "Phones"], ["青岛甲有限公司", "0532-81111111"]]))
        assert manager_client.post(reverse("crm:import_discard", args=[job.pk])).status_code == 302
        assert not ImportJob.objects.exists() and not ImportRow.objects.exists() and not Customer.objects.exists()


class TestFiles:
    ROWS = [["Company name", "Phones", "City"], ["青岛杰航机械有限公司", "0532-81111111", "青岛"]]

    @pytest.mark.parametrize(
        ("encoding", "delimiter"),
        [("utf-8-sig", ","), ("utf-8", ","), ("gb18030", ","), ("utf-8-sig", ";"), ("utf-16", "\t")],
    )
    def test_csv_encodings_and_delimiters(self, manager_client, encoding, delimiter):
        job = upload(manager_client, csv_file(self.ROWS, encoding=encoding, delimiter=delimiter))
        assert job.rows.get().cells == self.ROWS[1]
        confirm(manager_client, job)
        assert Customer.objects.get().city == "青岛"

    def test_gb18030_really_differs_from_utf8(self):
        assert "青岛杰航".encode("gb18030") != "青岛杰航".encode()

    def test_xlsx_with_numbers_and_booleans(self, manager_client):
        job = upload(
            manager_client,
            xlsx_file(
                [
                    ["Company name", "Phones", "Annual purchases (CNY)", "Share of wallet (%)", "MAN: money"],
                    ["青岛杰航机械有限公司", 13800138000, 1500000.0, 0.25, True],
                ]
            ),
        )
        assert job.file_format == "xlsx"
        confirm(manager_client, job)
        customer = Customer.objects.get()
        assert (customer.phones, customer.annual_purchases, customer.share_of_wallet, customer.man_money) == (
            "13800138000", Decimal(1_500_000), 25, True
        )  # fmt: skip

    def test_formula_looking_cells_are_kept_as_text_and_neutralised_again_on_export(self, manager_client):
        job = upload(
            manager_client,
            csv_file(
                [
                    ["Company name", "Phones", "Notes"],
                    ['\'=HYPERLINK("http://x.example","点我")', "'+86 532 8111 1111", "=1+1"],
                ]
            ),
        )
        confirm(manager_client, job)
        customer = Customer.objects.get()
        assert customer.name == '=HYPERLINK("http://x.example","点我")'
        assert (customer.phones, customer.notes) == ("+86 532 8111 1111", "=1+1")
        response = manager_client.get(reverse("crm:customer_export", args=["csv"]))
        exported = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        values = dict(zip(exported[0], exported[1], strict=True))
        assert values["Company name"] == '\'=HYPERLINK("http://x.example","点我")'
        assert (values["Phones"], values["Notes"]) == ("'+86 532 8111 1111", "'=1+1")

    def test_the_template_has_the_columns_the_import_reads(self, manager_client):
        response = manager_client.get(reverse("crm:import_template", args=["csv"]))
        header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        assert header[:3] == ["ID", "Company name", "Credit code"] and "Contact 1: name" in header
        rows = [header, [""] * len(header)]
        rows[1][header.index("Company name")], rows[1][header.index("Phones")] = "青岛甲有限公司", "0532-81111111"
        assert upload(manager_client, csv_file(rows)).valid_rows == 1


class TestErrorReport:
    def test_the_report_holds_the_bad_rows_as_uploaded_with_the_reasons_and_can_be_uploaded_again(self, manager_client):
        job = upload(
            manager_client,
            csv_file(
                [
                    ["Company name", "Phones", "Notes"],
                    ["青岛好有限公司", "0532-81111111", ""],
                    ["青岛坏有限公司", "", "=danger"],
                ]
            ),
        )
        confirm(manager_client, job)
        response = manager_client.get(reverse("crm:import_errors", args=[job.pk]))
        raw = b"".join(response.streaming_content)
        assert raw.startswith(b"\xef\xbb\xbf")
        report = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert report == [
            ["Errors", "Company name", "Phones", "Notes"],
            ["row 3, Phones: This field is required.", "青岛坏有限公司", "", "'=danger"],
        ]
        report[1][2] = "0532-83333333"  # the fix
        fixed = upload(manager_client, csv_file(report, name="customers-errors.csv"))
        assert (fixed.valid_rows, fixed.invalid_rows, fixed.ignored_columns) == (1, 0, [])
        confirm(manager_client, fixed)
        assert Customer.objects.get(name="青岛坏有限公司").notes == "=danger"


class TestBackground:
    @pytest.fixture(autouse=True)
    def _small_threshold(self, monkeypatch):
        monkeypatch.setattr(services, "INLINE_MAX_ROWS", 2)

    def test_large_files_are_checked_and_imported_by_tasks_that_hand_over(self, manager_client, monkeypatch):
        monkeypatch.setattr(tasks, "TASK_SECONDS", 0)  # one row per task: the chains must carry on
        rows = [["Company name", "Phones"]] + [[f"青岛第{n}号有限公司", f"0532-8{n:07d}"] for n in range(4)]
        job = upload(manager_client, csv_file(rows))
        assert job.state == ImportState.CHECKED and job.valid_rows == 4
        job = confirm(manager_client, job)
        assert (job.state, job.imported_rows) == (ImportState.DONE, 4)

    def test_progress_while_running_then_the_page_reloads(self, manager_client, manager):
        job = ImportJob.objects.create(
            created_by=manager, file_name="x.csv", file_format="csv", language="en", state=ImportState.IMPORTING,
            headers=["Company name", "Phones"], total_rows=4000, imported_rows=900, rejected_rows=100,
        )  # fmt: skip
        url = reverse("crm:import_progress", args=[job.pk])
        partial = manager_client.get(url, headers={"HX-Request": "true"})
        text = partial.content.decode()
        assert 'hx-trigger="every 2s"' in text and 'value="1000"' in text and "1,000 of about 4,000 rows (25%)" in text
        assert 'data-testid="resume"' not in text
        page = manager_client.get(reverse("crm:import_job", args=[job.pk])).content.decode()
        assert 'id="import-progress"' in page

        ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - ImportJob.STALLED_AFTER * 2)
        assert 'data-testid="resume"' in manager_client.get(url, headers={"HX-Request": "true"}).content.decode()

        ImportJob.objects.filter(pk=job.pk).update(state=ImportState.DONE, imported_rows=3900)
        done = manager_client.get(url, headers={"HX-Request": "true"})
        assert done.headers["HX-Refresh"] == "true"

    def test_a_stalled_import_resumes(self, manager_client, manager):
        rows = [["Company name", "Phones"]] + [[f"青岛第{n}号有限公司", f"0532-8{n:07d}"] for n in range(3)]
        job = upload(manager_client, csv_file(rows))
        services.import_job_confirm(job=job, actor=manager)  # confirmed, but the task never ran
        ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - ImportJob.STALLED_AFTER * 2)
        manager_client.post(reverse("crm:import_resume", args=[job.pk]))
        job.refresh_from_db()
        assert (job.state, job.imported_rows) == (ImportState.DONE, 3)


class TestRoundTrip:
    @pytest.fixture
    def customers(self, rep, manager):
        referrer = CustomerFactory(name="青岛介绍人有限公司", phones="0532-80000000", owner=rep)
        first = CustomerFactory(
            name="青岛杰航精密机械股份有限公司", credit_code=credit_code(), status="active", industry="mold",
            region="山东省", city="青岛市", address="崂山区株洲路1号", phones="0532-81111111, 13800138000",
            website="https://jiehang.example.cn", source="referral", referred_by=referrer,
            annual_purchases=Decimal(1_250_000), share_of_wallet=35, relationship_level="partner", owner=rep,
            group_name="杰航集团", need="五轴加工中心", is_strategic=True, man_money=True, man_need=True,
            notes="- 年底预算\n=重点", grade="A", grade_overridden=False,
        )  # fmt: skip
        ContactFactory(
            customer=first, name="王建国", title="总经理", department="总经办", phones="13900139000",
            email="wang@example.cn", wechat="wjg88", buying_role="decision_maker", attitude="supporter",
            influence="high", communication_style="driver", is_primary=True, notes="喜欢简短",
        )  # fmt: skip
        ContactFactory(customer=first, name="李工", buying_role="technical", attitude="neutral", influence="medium")
        pooled = CustomerFactory(name="烟台池中客户有限公司", phones="0535-6666666", owner=None, grade="B",
                                 annual_purchases=Decimal(400_000))  # fmt: skip
        ContactFactory(customer=pooled, name="赵六", buying_role="user")
        return [referrer, first, pooled]

    CUSTOMER_FIELDS = [
        "name", "credit_code", "status", "industry", "region", "city", "address", "phones", "website", "source",
        "annual_purchases", "share_of_wallet", "relationship_level", "owner_id", "group_name", "need",
        "is_strategic", "is_high_growth", "man_money", "man_authority", "man_need", "notes", "grade",
    ]  # fmt: skip
    CONTACT_FIELDS = [
        "name", "title", "department", "phones", "email", "wechat", "buying_role", "attitude", "influence",
        "communication_style", "is_primary", "notes",
    ]  # fmt: skip

    def snapshot(self):
        customers = {}
        for customer in Customer.objects.select_related("referred_by").prefetch_related("contacts"):
            values = {name: getattr(customer, name) for name in self.CUSTOMER_FIELDS}
            values["referred_by"] = customer.referred_by.name if customer.referred_by else ""
            values["contacts"] = sorted(
                tuple(getattr(contact, name) for name in self.CONTACT_FIELDS) for contact in customer.contacts.all()
            )
            customers[customer.name] = values
        return customers

    @pytest.mark.parametrize(("file_format", "language"), [("csv", "en"), ("xlsx", "en"), ("csv", "zh-hans")])
    def test_export_then_import_gives_the_same_data(self, manager_client, customers, file_format, language):
        before = self.snapshot()
        response = manager_client.get(
            reverse("crm:customer_export", args=[file_format]), headers={"accept-language": language}
        )
        content = b"".join(response.streaming_content) if response.streaming else response.content

        again = upload(manager_client, SimpleUploadedFile(f"export.{file_format}", content))
        assert again.invalid_rows == 3  # all three are in the CRM already: the duplicate check says so
        assert all("Already in the CRM" in row.errors[0][1] for row in again.rows.all())

        Customer.objects.all().delete()  # made by factories: no history holds on to them
        with translation.override("en"):
            job = confirm(manager_client, upload(manager_client, SimpleUploadedFile(f"export.{file_format}", content)))
        assert (job.imported_rows, job.rejected_rows) == (3, 0)
        assert self.snapshot() == before


def test_bench_import_smoke():
    out = io.StringIO()
    call_command("bench_import", rows=60, bad_percent=10, stdout=out)
    text = out.getvalue()
    assert "rows 60" in text and "imported 54" in text and "rejected 6" in text


class TestWorker:
    """With the broker down the page says so and nothing is left half-started; with a worker, the worker imports."""

    @pytest.fixture(autouse=True)
    def _small_threshold(self, monkeypatch):
        monkeypatch.setattr(services, "INLINE_MAX_ROWS", 2)

    ROWS = [["Company name", "Phones"]] + [[f"青岛第{n}号有限公司", f"0532-8{n:07d}"] for n in range(4)]

    @pytest.fixture
    def broker(self, celery_on_private_redis):  # noqa: F811 - the fixture imported above
        """This process's Celery sends through a private Redis, which a test may kill."""
        return celery_on_private_redis

    @pytest.mark.redis
    def test_broker_down_the_page_says_so_and_the_job_waits(self, broker, manager_client, manager):
        broker.kill()
        response = manager_client.post(START, {"file": csv_file(self.ROWS)}, follow=True)
        assert "The background worker is unavailable: try again later." in response.content.decode()
        job = ImportJob.objects.get()
        assert job.state == ImportState.UPLOADED and 'data-testid="start-check"' in response.content.decode()

        services.import_job_check(job.pk)  # as if the worker had run it after all
        response = manager_client.post(reverse("crm:import_confirm", args=[job.pk]), follow=True)
        assert "The background worker is unavailable: try again later." in response.content.decode()
        job.refresh_from_db()
        assert job.state == ImportState.CHECKED and not Customer.objects.exists()  # confirm again later

    @pytest.mark.postgres
    @pytest.mark.redis
    @pytest.mark.django_db(transaction=True)
    def test_a_real_worker_checks_and_imports_a_large_file(self, broker, tmp_path, manager_client):
        worker = start_worker(tmp_path, database_url=database_url(), broker_url=broker.url)
        try:
            job = upload(manager_client, csv_file(self.ROWS))
            assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).state == ImportState.CHECKED), worker_log(tmp_path)
            confirm(manager_client, job)
            assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).state == ImportState.DONE), worker_log(tmp_path)
        finally:
            kill_worker(worker)
        job.refresh_from_db()
        assert (job.imported_rows, job.rejected_rows) == (4, 0)
        assert Customer.objects.filter(pool_reason=PoolReason.IMPORTED).count() == 4


def worker_log(tmp_path):
    return (tmp_path / "worker.log").read_text()[-3000:]
