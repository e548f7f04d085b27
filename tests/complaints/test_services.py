import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.complaints.models import Complaint, ResponseDeadline, Severity, State
from crm.complaints.services import complaint_deadline_alerts, complaint_move, complaint_record
from crm.complaints.tasks import complaint_deadline_task
from crm.models import Notification, NotificationKind
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
RECEIVED = timezone.make_aware(datetime.datetime(2026, 11, 23, 9, 0))


def record(actor, customer, **fields):
    values = {"complainant_name": "王建国", "description": "机床延期两周到货", "category": "delivery_delay", **fields}
    return complaint_record(complaint=Complaint(customer=customer, received_at=RECEIVED, **values), actor=actor)


@pytest.fixture
def own(rep):
    return CustomerFactory(owner=rep, grade="B")


class TestRecording:
    @pytest.mark.parametrize(("severity", "hours"), [("critical", 4), ("high", 24), ("normal", 72)])
    def test_response_deadline_by_severity(self, rep, own, severity, hours):
        complaint = record(rep, own, severity=severity)
        assert complaint.respond_by == RECEIVED + datetime.timedelta(hours=hours)
        assert complaint.events.get().to_state == State.OPEN

    def test_deadlines_are_admin_editable(self, rep, own):
        ResponseDeadline.objects.filter(severity=Severity.HIGH).update(response_hours=8)
        assert record(rep, own, severity="high").respond_by == RECEIVED + datetime.timedelta(hours=8)

    def test_any_rep_who_sees_the_customer_records_and_the_owner_hears(self, rep):
        pool_customer = CustomerFactory(owner=None)
        complaint = record(rep, pool_customer)
        assert complaint.assignee == rep  # nobody owns it: the one who took the call handles it
        colleague = UserFactory(team=rep.team)
        owned = CustomerFactory(owner=colleague)
        with pytest.raises(PermissionDenied):
            record(rep, owned)  # a rep cannot see a colleague's customer
        manager_record = record(rep.team.manager, owned)
        assert manager_record.assignee == colleague
        assert Notification.objects.filter(user=colleague, kind=NotificationKind.COMPLAINT_RECORDED).exists()

    def test_an_a_customer_alerts_owner_and_manager_at_once(self, rep, manager):
        customer = CustomerFactory(owner=rep, grade="A")
        record(rep, customer, severity="critical")
        alerted = set(
            Notification.objects.filter(kind=NotificationKind.COMPLAINT_ON_A_CUSTOMER).values_list("user", flat=True)
        )
        assert alerted == {rep.pk, manager.pk}

    def test_complainant_must_be_this_customers_contact_or_a_name(self, rep, own):
        with pytest.raises(ValidationError):
            record(rep, own, complainant=ContactFactory(customer=CustomerFactory(owner=rep)))
        with pytest.raises(ValidationError):
            record(rep, own, complainant_name="")
        contact = ContactFactory(customer=own, name="李总")
        assert record(rep, own, complainant=contact, complainant_name="").complainant_display == str(contact)


class TestWorkflow:
    def test_the_whole_way_and_every_step_kept(self, rep, manager, own):
        complaint = record(rep, own)
        complaint = complaint_move(complaint=complaint, actor=rep, to_state="investigating", note="联系物流")
        assert complaint.responded_at is not None
        complaint.resolution_actions = "今天顺丰补发，承担运费，赠送500元代金券"
        complaint.save(update_fields=["resolution_actions"])
        complaint = complaint_move(complaint=complaint, actor=rep, to_state="resolved")
        complaint.customer_response = "客户接受"
        complaint.save(update_fields=["customer_response"])
        complaint_move(complaint=complaint, actor=manager, to_state="closed")
        steps = list(complaint.events.values_list("from_state", "to_state", "actor"))
        assert steps == [
            ("", "open", rep.pk),
            ("open", "investigating", rep.pk),
            ("investigating", "resolved", rep.pk),
            ("resolved", "closed", manager.pk),
        ]

    def test_refusals_name_what_is_missing_and_change_nothing(self, rep, own):
        complaint = record(rep, own)
        with pytest.raises(ValidationError, match="what was done"):
            complaint_move(complaint=complaint, actor=rep, to_state="resolved")
        with pytest.raises(ValidationError, match="cannot be moved"):
            complaint_move(complaint=complaint, actor=rep, to_state="closed")
        complaint.resolution_actions = "补发"
        complaint.save(update_fields=["resolution_actions"])
        complaint_move(complaint=complaint, actor=rep, to_state="resolved")
        with pytest.raises(ValidationError, match="customer's response"):
            complaint_move(complaint=complaint, actor=rep, to_state="closed")
        complaint.refresh_from_db()
        assert complaint.state == State.RESOLVED and complaint.events.count() == 2

    def test_reopen_needs_a_reason_and_restarts_the_clock(self, rep, own):
        complaint = record(rep, own, resolution_actions="补发", customer_response="接受")
        for state in ("resolved", "closed"):
            complaint_move(complaint=complaint, actor=rep, to_state=state)
        with pytest.raises(ValidationError, match="reopened"):
            complaint_move(complaint=complaint, actor=rep, to_state="open")
        complaint_move(complaint=complaint, actor=rep, to_state="open", note="同样问题再次出现")
        complaint.refresh_from_db()
        assert complaint.state == State.OPEN and complaint.responded_at is None
        assert complaint.respond_by > timezone.now() + datetime.timedelta(hours=71)

    def test_what_a_step_needs_is_typed_with_it_and_kept_as_an_edit(self, rep, manager, own):
        complaint = record(rep, own)
        complaint = complaint_move(
            complaint=complaint, actor=rep, to_state="resolved", note="已补发",
            fields={"resolution_actions": "  今天顺丰补发，承担运费  "},
        )  # fmt: skip
        complaint = complaint_move(
            complaint=complaint, actor=manager, to_state="closed", fields={"customer_response": "客户接受"}
        )
        complaint.refresh_from_db()
        assert (complaint.state, complaint.resolution_actions, complaint.customer_response) == (
            State.CLOSED, "今天顺丰补发，承担运费", "客户接受",
        )  # fmt: skip
        steps = [(e.from_state, e.to_state, e.actor_id, e.note_display) for e in complaint.events.order_by("pk")]
        assert steps == [
            ("", "open", rep.pk, ""),
            ("open", "open", rep.pk, "Edited: resolution actions"),
            ("open", "resolved", rep.pk, "已补发"),
            ("resolved", "resolved", manager.pk, "Edited: customer's response"),
            ("resolved", "closed", manager.pk, ""),
        ]

    def test_the_step_still_judges_what_was_typed_and_a_refusal_writes_none_of_it(self, rep, own):
        complaint = record(rep, own)
        with pytest.raises(ValidationError, match="what was done") as refused:
            complaint_move(complaint=complaint, actor=rep, to_state="resolved", fields={"resolution_actions": "  "})
        assert set(refused.value.error_dict) == {"resolution_actions"}
        with pytest.raises(ValidationError) as refused:
            complaint_move(
                complaint=complaint, actor=rep, to_state="resolved", fields={"resolution_actions": "补发\x00"}
            )
        assert set(refused.value.error_dict) == {"resolution_actions"}  # PostgreSQL would refuse the NUL
        complaint = complaint_move(
            complaint=complaint, actor=rep, to_state="resolved", fields={"resolution_actions": "补发"}
        )
        with pytest.raises(ValidationError, match="reopened"):  # the response typed, but no reason to reopen
            complaint_move(complaint=complaint, actor=rep, to_state="open", fields={"customer_response": "客户接受"})
        complaint.refresh_from_db()
        assert complaint.state == State.RESOLVED and complaint.customer_response == ""
        assert complaint.events.count() == 3  # recorded, the edit, resolved
        with pytest.raises(ValueError, match="not a field a step needs"):
            complaint_move(complaint=complaint, actor=rep, to_state="closed", fields={"state": "closed"})

    def test_only_those_who_handle_it_move_it(self, rep, own):
        complaint = record(rep, own)
        stranger = UserFactory(team=TeamFactory())
        with pytest.raises(PermissionDenied):
            complaint_move(complaint=complaint, actor=stranger, to_state="investigating")

    def test_the_database_refuses_a_closed_complaint_without_response(self, rep, own):
        complaint = record(rep, own)
        with pytest.raises(IntegrityError), transaction.atomic():
            Complaint.objects.filter(pk=complaint.pk).update(state="closed", resolution_actions="x")


class TestDeadlineJob:
    def test_overdue_alerts_assignee_and_manager_once(self, rep, manager, own):
        late = record(rep, own, severity="critical")
        record(rep, own, severity="normal")  # not due yet
        answered = record(rep, own, severity="critical")
        complaint_move(complaint=answered, actor=rep, to_state="investigating")
        now = RECEIVED + datetime.timedelta(hours=5)
        assert complaint_deadline_alerts(now) == 1
        assert complaint_deadline_alerts(now) == 0
        alerts = Notification.objects.filter(kind=NotificationKind.COMPLAINT_OVERDUE)
        assert sorted(alerts.values_list("user", flat=True)) == sorted([rep.pk, manager.pk])
        assert all(alert.link.endswith(f"/complaints/{late.pk}/") for alert in alerts)

    def test_with_no_webhook_endpoint_the_flagged_complaints_are_never_read_back(self, rep, own):
        # Their payloads are for endpoints only: a backlog of thousands must not be loaded for nobody.
        for _ in range(3):
            record(rep, own, severity="critical")
        with CaptureQueriesContext(connection) as queries:
            assert complaint_deadline_alerts(RECEIVED + datetime.timedelta(hours=5)) == 3
        selects = [
            q["sql"] for q in queries if q["sql"].startswith("SELECT") and '"crm_complaint"."description"' in q["sql"]
        ]
        assert selects == []

    def test_task_runs_the_job(self, rep, own):
        record(rep, own, severity="critical")
        assert complaint_deadline_task.delay().get() == 1
        assert complaint_deadline_task.delay().get() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deadline_jobs_at_once_alert_once():
    from tests.concurrency import run_at_once

    manager = UserFactory(role="manager")
    rep = UserFactory(team=TeamFactory(manager=manager))
    customer = CustomerFactory(owner=rep)
    for _ in range(5):
        record(rep, customer, severity="critical")
    results, errors = run_at_once(lambda: complaint_deadline_alerts(RECEIVED + datetime.timedelta(hours=5)))
    assert errors == [] and sorted(results) == [0, 5]
    assert Notification.objects.filter(kind=NotificationKind.COMPLAINT_OVERDUE).count() == 10


def test_reopening_keeps_when_the_customer_first_complained(rep):
    customer = CustomerFactory(owner=rep)
    complaint = record(rep, customer, resolution_actions="补发", customer_response="接受")
    for state in ("resolved", "closed"):
        complaint_move(complaint=complaint, actor=rep, to_state=state)
    complaint = complaint_move(complaint=complaint, actor=rep, to_state="open", note="再次出现")
    assert complaint.received_at == RECEIVED


def test_an_edit_is_a_step_in_the_history_and_the_new_assignee_hears(rep, manager):
    from crm.complaints.services import complaint_update

    customer = CustomerFactory(owner=rep)
    complaint = record(rep, customer, severity="normal")
    colleague = UserFactory(team=rep.team)
    complaint.root_cause, complaint.assignee, complaint.severity = "物流商调度失误", colleague, "critical"
    complaint_update(complaint=complaint, actor=manager, changed=["root_cause", "assignee", "severity"])
    complaint.refresh_from_db()
    assert complaint.respond_by == RECEIVED + datetime.timedelta(hours=4)
    step = complaint.events.last()
    assert (step.from_state, step.to_state, step.actor) == ("open", "open", manager)
    assert "root-cause analysis" in step.note_display
    assert Notification.objects.filter(user=colleague, kind=NotificationKind.COMPLAINT_ASSIGNED).exists()


class TestAssignee:
    """The form offers only the actor's people; the service refuses anyone else too (it used to trust the form)."""

    def test_a_complaint_is_not_recorded_for_someone_of_another_team(self, rep, own):
        stranger = UserFactory(role="rep", team=TeamFactory())
        with pytest.raises(ValidationError) as refused:
            record(rep, own, assignee=stranger)
        assert "assignee" in refused.value.error_dict
        assert not Complaint.objects.exists() and not Notification.objects.exists()

    def test_an_edit_does_not_hand_it_to_someone_of_another_team(self, manager, own):
        from crm.complaints.services import complaint_update

        complaint = record(manager, own)
        complaint.assignee = UserFactory(role="rep", team=TeamFactory())
        with pytest.raises(ValidationError):
            complaint_update(complaint=complaint, actor=manager, changed=["assignee"])
        assert Complaint.objects.get().assignee == own.owner
        assert Complaint.objects.get().events.count() == 1
