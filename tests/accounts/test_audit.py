"""The audit log: who logged in, exported, changed hands, set grades and decided disputes."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from claims.imports import services as import_services
from claims.imports import views as import_views
from claims.models import Claim
from claims.services import claim_from_pool, claim_transfer, customer_register, dispute_decide
from claims.sweep import lapse_sweep
from crm.models import Customer, PoolReason
from crm.services import customer_override_grade
from tests.factories import CustomerFactory, UserFactory, log_in
from visits.models import Visit
from visits.services import visit_log

pytestmark = pytest.mark.django_db


def entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


class TestLogins:
    def test_a_login_and_a_failed_one_are_recorded_with_the_address(self, client, rep):
        assert not log_in(client, rep.username, password="wrong")
        assert log_in(client, rep.username)
        failed, ok = entries(AuditAction.LOGIN_FAILED), entries(AuditAction.LOGIN)
        assert [(e.username, e.actor, e.ip_address) for e in failed] == [(rep.username, None, "127.0.0.1")]
        assert [(e.username, e.actor, e.ip_address) for e in ok] == [(rep.username, rep, "127.0.0.1")]

    def test_a_lockout_is_recorded(self, client, rep, settings):
        for _attempt in range(settings.AXES_FAILURE_LIMIT):
            log_in(client, rep.username, password="wrong")
        assert [e.username for e in entries(AuditAction.LOCKED_OUT)] == [rep.username]


class TestExports:
    def test_an_export_records_who_took_which_slice(self, manager_client, manager, rep):
        CustomerFactory(owner=rep, name="青岛机床有限公司", grade="A")
        CustomerFactory(owner=rep, name="烟台机床有限公司", grade="B")
        CustomerFactory(owner=rep, name="青岛刀具有限公司", grade="A")
        response = manager_client.get(
            reverse("crm:customer_export", args=["csv"]), {"grade": "A", "q": "机床", "owner": rep.pk, "city": ""}
        )
        assert response.status_code == 200
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
        (entry,) = entries(AuditAction.EXPORT)
        assert entry.actor == manager and entry.ip_address == "127.0.0.1"
        # The filters as applied (the blank city narrowed nothing) and the rows the file holds.
        assert entry.detail == {"format": "csv", "filters": {"grade": ["A"], "q": "机床", "owner": rep.pk}, "rows": 1}
        assert len(lines) == 1 + 1
        assert "1" in entry.summary and "grade=A" in entry.summary

    def test_an_unfiltered_export_records_every_row(self, manager_client, rep):
        CustomerFactory.create_batch(3, owner=rep)
        CustomerFactory(owner=UserFactory())  # another team's: not the manager's to export
        manager_client.get(reverse("crm:customer_export", args=["xlsx"]))
        (entry,) = entries(AuditAction.EXPORT)
        assert entry.detail == {"format": "xlsx", "filters": {}, "rows": 3}

    @pytest.mark.parametrize(
        "query",
        ["owner=OTHER", "owner=4x", "owner=" + "9" * 20, "team=OTHER_TEAM", "grade=Z", "in_pool=perhaps", "q=a%00b"],
    )
    def test_a_filter_that_cannot_be_applied_is_refused_not_ignored(self, manager_client, rep, query):
        """An ignored filter exported everything the manager may see, and the audit entry named the filter."""
        CustomerFactory(owner=rep)
        stranger = UserFactory()  # a rep of another team
        query = query.replace("OTHER_TEAM", str(stranger.team_id)).replace("OTHER", str(stranger.pk))
        response = manager_client.get(f"{reverse('crm:customer_export', args=['csv'])}?{query}&grade=A")
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('crm:customer_list')}?{query}&grade=A"  # the filters kept
        page = manager_client.get(response["Location"]).content.decode()
        assert "Nothing was exported: a filter cannot be applied." in page
        assert entries(AuditAction.EXPORT) == []

    def test_a_refused_export_writes_nothing(self, client, rep, manager):
        client.force_login(rep)
        assert client.get(reverse("crm:customer_export", args=["csv"])).status_code == 403
        client.force_login(manager)
        assert client.get(reverse("crm:customer_export", args=["pdf"])).status_code == 404
        assert entries(AuditAction.EXPORT) == []


class TestAddresses:
    """Services are not given the request; the entries they write while serving one still have its address."""

    def test_a_registration_through_the_app(self, rep_client):
        data = {"name": "青岛杰航机械有限公司", "phones": "0532-88886666", "need": "五轴"}
        data |= {"relationship_level": "ordinary", "status": "prospect"}
        response = rep_client.post(reverse("claims:register"), data, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 302
        (entry,) = entries(AuditAction.OWNERSHIP)
        assert entry.ip_address == "203.0.113.7"

    def test_an_import_confirmed_in_the_app(self, manager_client, rep):
        content = f"Company name,Phones,Owner\n青岛导入机械有限公司,0532-85550000,{rep.username}\n".encode()
        upload = SimpleUploadedFile("customers.csv", content)
        response = manager_client.post(reverse("crm:import_start"), {"file": upload}, REMOTE_ADDR="203.0.113.8")
        job = response["Location"].rstrip("/").rsplit("/", 1)[-1]
        manager_client.post(reverse("crm:import_confirm", args=[job]), REMOTE_ADDR="203.0.113.9")
        (entry,) = entries(AuditAction.IMPORT)
        assert entry.detail["imported"] == 1 and entry.ip_address == "203.0.113.9"

    def test_an_import_the_worker_finishes_has_the_address_it_was_confirmed_from(
        self, manager_client, rep, monkeypatch
    ):
        monkeypatch.setattr(import_services, "INLINE_MAX_ROWS", 0)  # a worker's job, however small
        monkeypatch.setattr(import_views, "enqueue", lambda task, *args: True)  # the broker takes it, for later
        content = "Company name,Phones\n青岛导入机械有限公司,0532-85550000\n".encode()
        response = manager_client.post(reverse("crm:import_start"), {"file": SimpleUploadedFile("c.csv", content)})
        job = int(response["Location"].rstrip("/").rsplit("/", 1)[-1])
        import_services.import_job_check(job)
        manager_client.post(reverse("crm:import_confirm", args=[job]), REMOTE_ADDR="203.0.113.11")
        assert entries(AuditAction.IMPORT) == []
        assert import_services.import_job_run(job)  # as the worker runs it: no request
        (entry,) = entries(AuditAction.IMPORT)
        assert entry.detail["imported"] == 1 and entry.ip_address == "203.0.113.11"

    def test_a_grade_override_on_the_card(self, manager_client, rep):
        customer = CustomerFactory(owner=rep, grade="C")
        url = reverse("crm:customer_set_grade", args=[customer.pk])
        manager_client.post(url, {"grade": "A", "reason": "战略客户"}, REMOTE_ADDR="203.0.113.10")
        (entry,) = entries(AuditAction.GRADE_OVERRIDE)
        assert entry.ip_address == "203.0.113.10"

    def test_none_outside_a_request(self, rep, manager):
        customer_override_grade(customer=CustomerFactory(owner=rep), grade="A", actor=manager, reason="战略客户")
        (entry,) = entries(AuditAction.GRADE_OVERRIDE)
        assert entry.ip_address is None


class TestDomainActions:
    def test_ownership_changes_are_recorded_but_not_renewals(self, rep, manager):
        customer = customer_register(
            customer=Customer(name="青岛杰航机械有限公司", phones="0532-88886666", need="五轴"), actor=rep
        ).customer
        visit_log(visit=Visit(customer=customer, started_at=timezone.now(), discussion="回访"), actor=rep)
        colleague = UserFactory(team=rep.team)
        claim_transfer(customer=customer, actor=manager, to_user=colleague, reason="客户要求")
        pooled = CustomerFactory(
            owner=None, pool_reason=PoolReason.IMPORTED, pool_since=timezone.now() - datetime.timedelta(days=10)
        )
        claim_from_pool(customer=pooled, actor=rep)
        ownership = entries(AuditAction.OWNERSHIP)
        assert [(e.actor, e.subject_id, e.detail["kind"]) for e in ownership] == [
            (rep, str(customer.pk), "registered"),
            (manager, str(customer.pk), "transferred"),
            (rep, str(pooled.pk), "claimed"),
        ]
        assert ownership[1].detail["to"] == colleague.pk and ownership[1].detail["reason"] == "客户要求"

    def test_a_lapse_sweep_is_one_entry_with_its_count(self, rep):
        for _ in range(3):
            customer = CustomerFactory(owner=rep)
            Claim.objects.create(customer=customer, holder=rep, renewed_on=datetime.date(2026, 8, 1),
                                 protected_until=datetime.date(2026, 10, 30))  # fmt: skip
        assert lapse_sweep(datetime.date(2026, 11, 23)) == 3
        (entry,) = entries(AuditAction.OWNERSHIP)
        assert entry.actor is None and entry.detail["claims"] == 3

    def test_grade_overrides_and_dispute_decisions(self, rep, manager):
        customer = CustomerFactory(owner=rep, grade="C")
        customer_override_grade(customer=customer, grade="A", actor=manager, reason="战略客户")
        (grade,) = entries(AuditAction.GRADE_OVERRIDE)
        assert (grade.actor, grade.detail["from"], grade.detail["to"]) == (manager, "C", "A")
        customer_register(customer=Customer(name="烟台华精机械有限公司", phones="1", need="x"), actor=rep)
        challenger = UserFactory(team=rep.team)
        dispute = customer_register(
            customer=Customer(name="烟台华精机械有限责任公司", phones="2", need="x"), actor=challenger
        ).dispute
        dispute_decide(dispute=dispute, actor=manager, outcome="keep", reason="登记在先")
        (decision,) = entries(AuditAction.DISPUTE_DECISION)
        assert (decision.actor, decision.detail["outcome"], decision.detail["dispute"]) == (manager, "keep", dispute.pk)


class TestAppendOnly:
    def test_the_database_refuses_to_change_or_delete_an_entry(self, rep):
        entry = AuditEntry.objects.create(action=AuditAction.LOGIN, actor=rep, username=rep.username)
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(summary="rewritten")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).delete()
        assert AuditEntry.objects.get(pk=entry.pk).summary == ""


class TestAdmin:
    def test_the_admin_filters_by_action_and_cannot_edit(self, admin_client, rep):
        AuditEntry.objects.create(action=AuditAction.LOGIN, actor=rep, username="login-entry")
        AuditEntry.objects.create(action=AuditAction.EXPORT, actor=rep, username="export-entry")
        url = reverse("admin:accounts_auditentry_changelist")
        page = admin_client.get(url, {"action__exact": "export"}).content.decode()
        assert "export-entry" in page and "login-entry" not in page
        assert admin_client.get(reverse("admin:accounts_auditentry_add")).status_code == 403
        entry = AuditEntry.objects.get(username="export-entry")
        assert admin_client.get(reverse("admin:accounts_auditentry_delete", args=[entry.pk])).status_code == 403
        change = admin_client.post(reverse("admin:accounts_auditentry_change", args=[entry.pk]), {"summary": "x"})
        assert change.status_code == 403
        assert AuditEntry.objects.get(pk=entry.pk).summary == ""

    def test_managers_do_not_see_the_log(self, manager_client):
        response = manager_client.get(reverse("admin:accounts_auditentry_changelist"))
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]
