"""Reasons the system writes are stored as codes and read in the reader's language (crm/reasons.py)."""

import datetime
import io
from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from claims.models import EventKind, OwnershipEvent
from claims.services import customer_register, dispute_decide, dispute_open, rep_depart
from crm import reasons
from crm.complaints.models import COMPLAINT_EDITED, Complaint
from crm.complaints.services import complaint_record, complaint_update
from crm.models import Customer, GradeChange, Notification, NotificationKind
from crm.services import customer_save
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

REGISTERED_ZH = "登记时根据采购额和客户标记建议的等级。"
REGISTERED_EN = "Suggested at registration from purchases and flags."


def register(actor, name, **fields):
    customer = Customer(name=name, phones="0532-88886666", need="五轴加工中心", **fields)
    return customer_register(customer=customer, actor=actor).customer


def pdf_text(response):
    pages = PdfReader(io.BytesIO(response.content)).pages
    return "".join("".join(page.extract_text().split()) for page in pages)  # table cells wrap lines


def test_registration_reason_is_a_code_and_reads_in_each_language(rep_client, rep):
    customer = register(rep, "青岛杰航机械有限公司")  # written while English is active
    change = customer.grade_changes.get()
    assert (change.reason_code, change.reason) == (reasons.GRADE_REGISTERED, "")
    card = reverse("crm:customer_detail", args=[customer.pk])
    chinese = rep_client.get(card, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert REGISTERED_ZH in chinese and REGISTERED_EN not in chinese
    assert REGISTERED_EN in rep_client.get(card, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    dossier = rep_client.get(reverse("crm:customer_dossier", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = pdf_text(dossier)
    assert REGISTERED_ZH.rstrip("。") in text and "Suggested" not in text


def test_reason_written_while_chinese_is_active_reads_in_english(rep):
    with translation.override("zh-hans"):
        customer = customer_save(customer=Customer(name="济南新客户有限公司"), actor=rep)
    assert customer.grade_changes.get().reason_display == REGISTERED_EN


def test_departure_without_a_reason_reads_in_the_readers_language(rep_client, rep, manager, admin_user):
    customer = register(rep, "青岛杰航机械有限公司")
    rep_depart(rep=rep, actor=manager)
    event = customer.ownership_events.filter(kind=EventKind.DEPARTED).get()
    assert (event.reason_code, event.reason_params) == (reasons.DEPARTED, {"name": str(rep)})
    with translation.override("zh-hans"):
        assert event.reason_display == f"{rep} 已离职。"
    assert event.reason_display == f"{rep} left the company."
    rep_client.force_login(admin_user)
    dossier = rep_client.get(reverse("crm:customer_dossier", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "已离职" in pdf_text(dossier)


def test_a_reason_a_person_typed_is_shown_as_typed(rep):
    customer = register(rep, "青岛杰航机械有限公司")
    colleague = UserFactory(team=rep.team)
    rep_depart(rep=rep, actor=rep.team.manager or UserFactory(role="admin"), reassign_to=colleague, reason="调岗")
    event = customer.ownership_events.filter(kind=EventKind.DEPARTED).get()
    with translation.override("zh-hans"):
        assert (event.reason_code, event.reason_display) == ("", "调岗")


def test_old_history_sentences_read_in_the_readers_language_without_rewriting(rep_client, rep):
    """The ownership history refuses UPDATE: rows written before the codes keep their sentence and are
    recognised when shown, English or Chinese."""
    customer = CustomerFactory(owner=rep)
    english = OwnershipEvent.objects.create(customer=customer, kind=EventKind.RELEASED, reason="李雷 left the company.")
    chinese = OwnershipEvent.objects.create(customer=customer, kind=EventKind.RELEASED, reason="从 a.csv 第 3 行导入。")
    typed = OwnershipEvent.objects.create(customer=customer, kind=EventKind.RELEASED, reason="客户暂无需求")
    with translation.override("zh-hans"):
        assert english.reason_display == "李雷 已离职。"
        assert typed.reason_display == "客户暂无需求"
    assert chinese.reason_display == "Imported from a.csv, row 3."
    page = rep_client.get(reverse("crm:customer_detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "李雷 已离职。" in page.content.decode()


def test_dispute_decision_notification_reads_the_outcome_in_chinese(client, rep, manager):
    customer = register(rep, "青岛杰航机械有限公司")
    challenger = UserFactory(team=rep.team)
    dispute = dispute_open(customer=customer, actor=challenger, statement="我先联系的")
    dispute_decide(dispute=dispute, actor=manager, outcome="keep", reason="登记在先")
    notification = Notification.objects.get(user=challenger, kind=NotificationKind.DISPUTE_DECIDED)
    assert (notification.reason_code, notification.detail) == ("dispute_decided", "登记在先")
    client.force_login(challenger)
    page = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "维持原持有人" in page and "登记在先" in page and "Keep the holder" not in page


def test_complaint_edit_step_names_the_fields_in_the_readers_language(rep, manager):
    customer = CustomerFactory(owner=rep)
    received = timezone.now() - datetime.timedelta(hours=1)
    complaint = complaint_record(
        complaint=Complaint(customer=customer, received_at=received, complainant_name="王建国",
                            description="机床延期两周到货", category="delivery_delay"),
        actor=rep,
    )  # fmt: skip
    complaint.severity = "critical"
    complaint_update(complaint=complaint, actor=manager, changed=["severity"])
    step = complaint.events.last()
    assert (step.reason_code, step.reason_params, step.note) == (COMPLAINT_EDITED, {"fields": ["severity"]}, "")
    with translation.override("zh-hans"):
        assert step.note_display == "已修改：严重程度"
    assert step.note_display == "Edited: severity"


def test_migration_turns_stored_sentences_into_codes(rep):
    """crm 0016: tables without an append-only trigger get their sentences replaced by codes."""
    customer = CustomerFactory(owner=rep)
    english = GradeChange.objects.create(customer=customer, to_grade="B", reason=REGISTERED_EN)
    chinese = GradeChange.objects.create(customer=customer, to_grade="A", reason="等级按导入文件 a.csv 中填写的设置。")
    typed = GradeChange.objects.create(customer=customer, to_grade="C", reason="集团总部在此决策")
    decided = Notification.objects.create(
        user=rep, kind=NotificationKind.DISPUTE_DECIDED, detail="Keep the holder: 登记在先"
    )
    # The models as they were at that migration (complaints were still crm's then).
    then = MigrationLoader(connection).project_state(("crm", "0018_system_reasons")).apps
    import_module("crm.migrations.0018_system_reasons").sentences_to_codes(then, None)
    for row in (english, chinese, typed, decided):
        row.refresh_from_db()
    assert (english.reason_code, english.reason) == (reasons.GRADE_REGISTERED, "")
    assert (chinese.reason_code, chinese.reason_params) == (reasons.GRADE_IMPORTED, {"file": "a.csv"})
    assert (typed.reason_code, typed.reason) == ("", "集团总部在此决策")
    assert (decided.reason_code, decided.reason_params, decided.detail) == (
        "dispute_decided",
        {"outcome": "keep"},
        "登记在先",
    )
