"""Complaints, imports and the board's digest moved into apps of their own (crm 0020/0021, claims 0008 and the new
apps' 0001): only Django's state moved. A database holding rows in those tables migrates across the move and back
with every row as it was, and the content types (with their permissions) follow the models."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from claims.board.models import WeeklyDigest
from claims.imports.models import ImportJob, ImportRow
from crm.complaints.models import Complaint, ResponseDeadline
from crm.complaints.services import complaint_record
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The last migrations before the move, and the apps that did not exist then.
BEFORE_THE_MOVE = [
    ("crm", "0019_importjob_attempts"),
    ("claims", "0007_system_reasons"),
    ("complaints", None),
    ("imports", None),
    ("board", None),
]
MOVED = {
    "crm_complaint": ("crm", "complaints", "complaint"),
    "crm_complaintevent": ("crm", "complaints", "complaintevent"),
    "crm_responsedeadline": ("crm", "complaints", "responsedeadline"),
    "crm_importjob": ("crm", "imports", "importjob"),
    "crm_importrow": ("crm", "imports", "importrow"),
    "claims_weeklydigest": ("claims", "board", "weeklydigest"),
}


# Columns added after the move (deal imports): they exist only at the newer layout, so the rows are compared on
# the columns both layouts have.
ADDED_SINCE = {"crm_importjob": {"kind"}, "crm_importrow": {"opportunity_id"}}


def rows(table):
    with connection.cursor() as cursor:
        names = [
            column.name
            for column in connection.introspection.get_table_description(cursor, table)
            if column.name not in ADDED_SINCE.get(table, set())
        ]
        selected = ", ".join(connection.ops.quote_name(name) for name in names)
        cursor.execute(f"SELECT {selected} FROM {table} ORDER BY 1")  # noqa: S608 (a table name of ours)
        return cursor.fetchall()


def snapshot():
    return {table: rows(table) for table in MOVED}


def content_types():
    """(app label, model) -> (content type id, its permissions' codenames)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ct.app_label, ct.model, ct.id, array_agg(p.codename ORDER BY p.codename)"
            " FROM django_content_type ct LEFT JOIN auth_permission p ON p.content_type_id = ct.id"
            " WHERE ct.model = ANY(%s)"
            " GROUP BY ct.app_label, ct.model, ct.id",
            [[model for _, _, model in MOVED.values()]],
        )
        return {(label, model): (pk, codenames) for label, model, pk, codenames in cursor.fetchall()}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state([node for node in targets if node[1]]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_rows_and_content_types_survive_the_move_both_ways(rep, manager):
    customer = CustomerFactory(owner=rep)
    complaint_record(
        complaint=Complaint(
            customer=customer, complainant_name="王建国", description="交货延迟", category="delivery_delay"
        ),
        actor=rep,
    )
    if not ResponseDeadline.objects.exists():
        ResponseDeadline.objects.create(severity="normal", response_hours=72)
    job = ImportJob.objects.create(created_by=manager, file_name="客户.xlsx", file_format="xlsx", language="zh-hans")
    ImportRow.objects.create(job=job, number=2, cells=["青岛杰航"], state="valid", customer=customer)
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    WeeklyDigest.objects.create(user=manager, week=monday)
    now_layout = latest()
    after = content_types()
    assert {key[0] for key in after} == {"complaints", "imports", "board"}
    with_data = snapshot()
    assert all(with_data.values()), "every moved table holds a row"

    try:
        old = migrate(BEFORE_THE_MOVE)
        assert snapshot() == with_data
        before = content_types()
        assert {
            (old_label, model): after[(new_label, model)] for old_label, new_label, model in MOVED.values()
        } == before

        # Rows written at the old layout, through the models as they were then (crm's and claims').
        old_complaint = old.get_model("crm", "Complaint")
        copy = old_complaint.objects.values().get()
        copy.pop("id")
        added = old_complaint.objects.create(**copy)
        old.get_model("crm", "ComplaintEvent").objects.create(
            complaint=added, from_state="", to_state="open", actor_id=rep.pk, at=timezone.now()
        )
        old_job = old.get_model("crm", "ImportJob").objects.create(
            created_by_id=manager.pk, file_name="old.csv", file_format="csv", language="en"
        )
        old.get_model("crm", "ImportRow").objects.create(job=old_job, number=2, cells=["x"], state="invalid")
        old.get_model("claims", "WeeklyDigest").objects.create(user_id=rep.pk, week=monday)
        at_old_layout = snapshot()
        assert all(len(at_old_layout[table]) == len(with_data[table]) + 1 for table in MOVED if "deadline" not in table)

        migrate(now_layout)
        assert snapshot() == at_old_layout
        assert content_types() == after
        assert Complaint.objects.count() == 2 and added.pk in set(Complaint.objects.values_list("pk", flat=True))
        assert ImportJob.objects.get(file_name="old.csv").rows.get().state == "invalid"
        assert WeeklyDigest.objects.filter(week=monday).count() == 2

        migrate(BEFORE_THE_MOVE)
        assert snapshot() == at_old_layout
        assert content_types() == before
    finally:
        migrate(now_layout)
    assert snapshot() == at_old_layout
