"""Every service that takes an `actor` refuses someone who may not act, before it writes anything.

The services are found by introspection: every function of every `services` module of the project's apps with a
parameter named `actor`. Each needs a case below (what to call it with, someone it accepts, the people it must
refuse), or the coverage test fails, so a new service cannot go unchecked. Someone who left the company (an admin
who departed: they would pass every role check) is refused by every service. A refusal is PermissionDenied, and
nothing was written: every row of every model is as before, and not one row was even attempted (the database's
own count of this transaction's writes is unchanged).
"""

import datetime
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.services import api_token_create
from claims.imports.models import ImportJob, ImportState
from claims.models import DisputeKind, Outcome
from crm import exports, reasons
from crm.complaints.models import Complaint
from crm.deals.models import Competitor, Opportunity, Period
from crm.evidence.models import Attachment
from crm.models import Contact, Customer
from crm.webhooks.models import Endpoint
from tests.factories import UserFactory
from tests.security.test_fuzz_forms import Changes, rows_written, snapshot, world  # noqa: F401 (world: a fixture)
from visits.models import Visit

pytestmark = pytest.mark.django_db

# Functions of a services module that take an actor but change nothing: they answer a question.
QUESTIONS = {"holding_limit_refusal"}


def service_modules():
    """The `services` modules of the project's own apps, nested ones included (crm.complaints.services)."""
    base = Path(settings.BASE_DIR).resolve()
    seen = set()  # a nested app (crm.complaints) is walked from its parent too
    for config in apps.get_app_configs():
        if not Path(config.path).resolve().is_relative_to(base):
            continue
        names = [config.name] + [info.name for info in pkgutil.walk_packages([config.path], prefix=f"{config.name}.")]
        for name in names:
            if name.rsplit(".", 1)[-1] == "services" and name not in seen:
                seen.add(name)
                yield importlib.import_module(name)


def services_taking_an_actor():
    found = {}
    for module in service_modules():
        for name, function in inspect.getmembers(module, inspect.isfunction):
            public = not name.startswith("_")  # helpers run inside a public service, after its check
            if public and function.__module__ == module.__name__ and "actor" in inspect.signature(function).parameters:
                assert name not in found, f"two services named {name}: {found[name].__module__}, {module.__name__}"
                found[name] = function
    return found


@dataclass
class Case:
    kwargs: Callable  # (world) -> the arguments but the actor: a call the allowed actor makes without error
    allowed: str  # the World attribute of someone the service accepts
    refused: list = field(default_factory=list)  # World attributes of people it must refuse (and "departed")


def now():
    return timezone.now()


def edited_customer(w):
    customer = Customer.objects.get(pk=w.customer.pk)
    customer.notes = "改了备注"
    return customer


def checked_import(w):
    return ImportJob.objects.create(
        created_by=w.manager, file_name="customers.csv", file_format="csv", language="zh-hans",
        state=ImportState.CHECKED,
    )  # fmt: skip


def import_file():
    return "".join(exports.csv_lines(exports.rows(Customer.objects.none()))).encode()


def edited_complaint(w):
    complaint = Complaint.objects.get(pk=w.complaint.pk)
    complaint.root_cause = "物流商排期"
    return complaint


TODAY = datetime.date(2026, 12, 1)


def edited_deal(w):
    deal = Opportunity.objects.get(pk=w.deal.pk)
    deal.notes = "客户要求分两期交付"
    return deal


def edited_visit(w):
    visit = Visit.objects.get(pk=w.visit.pk)
    visit.discussion = "看了样机，补记价格"
    return visit


def stored_attachment(w):
    return Attachment.objects.create(
        owner_type=ContentType.objects.get_for_model(Visit),
        owner_id=w.visit.pk,
        kind="document",
        file="evidence/2026/01/acceptance.pdf",
        name="验收单.pdf",
        mime_type="application/pdf",
        size=16,
        uploaded_by=w.rep,
    )


def endpoint(w, **fields):
    return Endpoint.objects.create(
        name="ERP", url="https://erp.example.com/hook", events=["customer.registered"], created_by=w.admin, **fields
    )


CASES = {
    # crm
    "customer_save": Case(
        lambda w: {"customer": edited_customer(w)}, "rep", ["other_rep", "colleague", "other_manager"]
    ),
    "customer_override_grade": Case(
        lambda w: {"customer": w.customer, "grade": "A", "reason": "集团战略客户"}, "manager", ["rep", "other_manager"]
    ),
    "customer_follow_suggested_grade": Case(
        lambda w: {"customer": w.customer, "reason": "按规则"}, "manager", ["rep", "other_manager"]
    ),
    "contact_save": Case(
        lambda w: {"contact": Contact(customer=w.customer, name="新联系人")},
        "rep",
        ["other_rep", "colleague", "other_manager"],
    ),
    "contact_delete": Case(lambda w: {"contact": w.second_contact}, "rep", ["other_rep", "colleague", "other_manager"]),
    # visits
    "visit_log": Case(
        lambda w: {"visit": Visit(customer=w.customer, method="phone", started_at=now(), discussion="电话回访")},
        "rep",
        ["other_rep", "colleague", "other_manager"],
    ),
    "visit_record": Case(
        lambda w: {
            "visit": Visit(customer=w.customer, method="onsite", started_at=now(), discussion="现场看样机"),
            "check_in": (Decimal("36.0669"), Decimal("120.3826"), 10, now()),
            "uploads": [SimpleUploadedFile("验收单.pdf", b"%PDF-1.4\n%%EOF\n")],
        },
        "rep",
        ["other_rep", "colleague", "other_manager"],
    ),
    "visit_update": Case(lambda w: {"visit": edited_visit(w)}, "rep", ["colleague", "manager", "other_rep"]),
    "reminder_dismiss": Case(
        lambda w: {"reminder": w.reminder, "reason": "客户已回复"}, "rep", ["colleague", "manager"]
    ),
    "customer_snooze": Case(
        lambda w: {"customer": w.customer, "days": 30, "reason": "暂时不需要"}, "rep", ["other_rep", "colleague"]
    ),
    # claims
    "claim_from_pool": Case(lambda w: {"customer": w.pool_customer}, "rep", ["admin"]),
    "claim_release": Case(
        lambda w: {"customer": w.customer, "reason": "客户转向别的供应商"},
        "rep",
        ["colleague", "other_manager", "other_rep"],
    ),
    "claim_transfer": Case(
        lambda w: {"customer": w.customer, "to_user": w.colleague, "reason": "客户要求换人"},
        "manager",
        ["rep", "colleague", "other_manager"],
    ),
    "customer_register": Case(
        lambda w: {"customer": Customer(name="潍坊新创精工有限公司", phones="0536-22223333", need="车铣复合")}, "rep"
    ),
    "customer_edit": Case(
        lambda w: {"customer": edited_customer(w)}, "rep", ["other_rep", "colleague", "other_manager"]
    ),
    "customer_register_imported": Case(
        lambda w: {
            "customer": Customer(name="潍坊新创精工有限公司", phones="0536-22223333", need="车铣复合"),
            "owner": w.colleague,
            "reason_code": reasons.IMPORTED,
            "reason_params": {"file": "customers.csv", "row": 2},
        },
        "manager",
        ["rep", "colleague"],  # another team's manager names an owner they may not: a choice error, not this
    ),
    "dispute_open": Case(
        lambda w: {
            "customer": w.customer,
            "statement": "客户来电要求换人",
            "kind": DisputeKind.CUSTOMER_WISH,
            "challenger": w.colleague,
        },  # fmt: skip
        "manager",
        ["rep", "colleague", "other_manager"],
    ),
    "dispute_decide": Case(
        lambda w: {"dispute": w.dispute, "outcome": Outcome.KEEP, "reason": "记录齐全"},
        "manager",
        ["other_manager", "other_rep"],
    ),
    "rep_depart": Case(lambda w: {"rep": w.colleague, "reason": "离职"}, "manager", ["rep", "other_manager"]),
    # complaints
    "complaint_record": Case(
        lambda w: {
            "complaint": Complaint(
                customer=w.customer,
                complainant=w.contact,
                description="主轴异响",
                category="quality",
                received_at=now() - datetime.timedelta(hours=1),
            )
        },  # fmt: skip
        "rep",
        ["other_rep", "other_manager"],
    ),
    "complaint_move": Case(
        lambda w: {"complaint": w.complaint, "to_state": "investigating"},
        "rep",
        ["other_rep", "colleague", "other_manager"],
    ),
    "complaint_update": Case(
        lambda w: {"complaint": edited_complaint(w), "changed": ["root_cause"]}, "rep", ["other_rep", "colleague"]
    ),
    # deals: the customer's holder, their manager, an admin
    "opportunity_create": Case(
        lambda w: {"opportunity": Opportunity(customer=w.customer, title="卧式加工中心", expected_close_on=TODAY)},
        "rep",
        ["other_rep", "colleague", "other_manager"],
    ),
    "opportunity_update": Case(
        lambda w: {"opportunity": edited_deal(w), "changed": ["notes"]},
        "rep",
        ["other_rep", "colleague", "other_manager"],
    ),
    "opportunity_part_save": Case(
        lambda w: {"part": Competitor(opportunity=w.deal, name="发那科")},
        "rep",
        ["other_rep", "colleague", "other_manager"],
    ),
    "opportunity_part_delete": Case(
        lambda w: {"part": w.deal_parts.competitor}, "rep", ["other_rep", "colleague", "other_manager"]
    ),
    "opportunity_move": Case(  # past what is missing: a manager's move, with a reason
        lambda w: {"opportunity": w.deal, "to_stage": w.far_stage, "reason": "总经理已口头确认"},
        "manager",
        ["other_manager", "other_rep", "colleague"],
    ),
    "opportunity_win": Case(lambda w: {"opportunity": w.deal}, "rep", ["other_rep", "colleague", "other_manager"]),
    "opportunity_lose": Case(
        lambda w: {"opportunity": w.deal, "reason": w.reasons.lost, "won_by": "海天精工"},
        "rep",
        ["other_rep", "colleague", "other_manager"],
    ),
    "opportunity_abandon": Case(
        lambda w: {"opportunity": w.deal, "note": "项目取消"}, "rep", ["other_rep", "colleague", "other_manager"]
    ),
    # sales targets: the rep's manager or an admin; never the rep, a colleague, another team's manager
    "sales_target_set": Case(
        lambda w: {"rep": w.rep, "period": Period.containing("month", TODAY), "amount": Decimal(300_000)},
        "manager",
        ["rep", "colleague", "other_manager", "other_rep"],
    ),
    # check-in: the visit's author, while logging it; the site: the customer's manager
    "visit_check_in": Case(
        lambda w: {
            "visit": w.visit,
            "lat": Decimal("36.0669"),
            "lng": Decimal("120.3826"),
            "accuracy": 10,
            "at": now(),
        },
        "rep",
        ["other_rep", "colleague", "manager", "other_manager"],
    ),
    "customer_site_set": Case(
        lambda w: {"customer": w.customer, "lat": Decimal("36.0669"), "lng": Decimal("120.3826")},
        "manager",
        ["rep", "colleague", "other_rep", "other_manager"],
    ),
    # attachments: the visit's author within the edit window (a complaint's: those who handle it)
    "attachments_add": Case(
        lambda w: {"record": w.visit, "files": [SimpleUploadedFile("验收单.pdf", b"%PDF-1.4\n%%EOF\n")]},
        "rep",
        ["other_rep", "colleague", "manager", "other_manager"],  # the manager reads the log, does not change it
    ),
    "attachment_delete": Case(
        lambda w: {"attachment": stored_attachment(w)}, "rep", ["other_rep", "colleague", "manager", "other_manager"]
    ),
    # accounts: personal API tokens, each person's own (an admin revokes anyone's)
    "api_token_create": Case(lambda w: {"name": "ERP 同步", "read_only": True}, "rep"),
    "api_token_revoke": Case(
        lambda w: {"token": api_token_create(actor=w.rep, name="脚本")[0]}, "rep", ["colleague", "manager", "other_rep"]
    ),
    # webhooks: admins only
    "endpoint_create": Case(
        lambda w: {"endpoint": Endpoint(name="ERP", url="https://erp.example.com/hook", events=["deal.won"])},
        "admin",
        ["manager", "rep", "other_manager"],
    ),
    "endpoint_disable": Case(lambda w: {"endpoint": endpoint(w)}, "admin", ["manager", "rep"]),
    "endpoint_enable": Case(lambda w: {"endpoint": endpoint(w, is_active=False)}, "admin", ["manager", "rep"]),
    "endpoint_rotate_secret": Case(lambda w: {"endpoint": endpoint(w)}, "admin", ["manager", "rep"]),
    # imports
    "import_job_create": Case(
        lambda w: {"file_name": "customers.csv", "content": import_file(), "language": "zh-hans"}, "manager", ["rep"]
    ),
    "import_job_confirm": Case(lambda w: {"job": checked_import(w)}, "manager", ["admin", "other_manager", "rep"]),
    "import_job_discard": Case(lambda w: {"job": checked_import(w)}, "manager", ["admin", "other_manager", "rep"]),
}


def test_every_service_taking_an_actor_has_a_case():
    services = set(services_taking_an_actor())
    assert services - QUESTIONS - set(CASES) == set(), "services with no refusal case"
    assert set(CASES) - services == set(), "cases for services that no longer exist"
    assert {"visit_log", "complaint_record", "import_job_confirm", "claim_release"} <= services  # the walk reaches all


@pytest.fixture
def departed(db):
    """Someone who left: an admin, so that only their departure can refuse them."""
    return UserFactory(role="admin", is_active=False, departed_at=timezone.now() - datetime.timedelta(days=1))


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_service_refuses_who_may_not_act_and_writes_nothing(name, world, departed):  # noqa: F811
    service, case = services_taking_an_actor()[name], CASES[name]
    with transaction.atomic():  # the case is sound: the allowed actor gets through (then rolled back)
        service(**case.kwargs(world), actor=getattr(world, case.allowed))
        transaction.set_rollback(True)
    for who in [*case.refused, "departed"]:
        actor = departed if who == "departed" else getattr(world, who)
        kwargs = case.kwargs(world)  # built before the fingerprint: the case's own rows are not the service's
        before, written = snapshot(), rows_written()
        with pytest.raises(PermissionDenied):
            service(**kwargs, actor=actor)
        assert rows_written() == written, f"{name} wrote before refusing {who}"
        assert not Changes.between(before, snapshot()), f"{name} changed rows refusing {who}"
