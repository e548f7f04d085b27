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
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from claims.imports.models import ImportJob, ImportState
from claims.models import DisputeKind, Outcome
from crm import exports, reasons
from crm.complaints.models import Complaint
from crm.models import Contact, Customer
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
    return "".join(exports.csv_lines(Customer.objects.none())).encode()


def edited_complaint(w):
    complaint = Complaint.objects.get(pk=w.complaint.pk)
    complaint.root_cause = "物流商排期"
    return complaint


def edited_visit(w):
    visit = Visit.objects.get(pk=w.visit.pk)
    visit.discussion = "看了样机，补记价格"
    return visit


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
