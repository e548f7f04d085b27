"""Escalation to managers, the daily email digest and the nav badges."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crm.models import Grade, GradeRule
from tests.concurrency import run_at_once
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from visits.digest import send_daily_digests
from visits.models import DailyDigest, Escalation, Reminder, ReminderKind, ReminderState
from visits.sweep import escalate_overdue

pytestmark = [pytest.mark.django_db, pytest.mark.clock]
TODAY = datetime.date(2026, 11, 23)


def overdue_reminder(rep, grade, days, **customer_fields):
    customer = CustomerFactory(owner=rep, grade=grade, **customer_fields)
    return Reminder.objects.create(
        customer=customer, assignee=rep, kind=ReminderKind.CADENCE, due_on=TODAY - datetime.timedelta(days=days)
    )


class TestEscalation:
    def test_each_grade_escalates_after_its_own_limit(self, rep, manager):
        a_due = overdue_reminder(rep, Grade.A, 3)
        a_not_yet = overdue_reminder(rep, Grade.A, 2)
        b_due = overdue_reminder(rep, Grade.B, 5)
        b_not_yet = overdue_reminder(rep, Grade.B, 4)
        c_due = overdue_reminder(rep, Grade.C, 7)
        c_not_yet = overdue_reminder(rep, Grade.C, 6)
        created = escalate_overdue(TODAY)
        assert created == {"A": 1, "B": 1, "C": 1}
        assert set(Escalation.objects.values_list("reminder", "manager")) == {
            (a_due.pk, manager.pk),
            (b_due.pk, manager.pk),
            (c_due.pk, manager.pk),
        }
        assert not Escalation.objects.filter(reminder__in=[a_not_yet, b_not_yet, c_not_yet]).exists()

    def test_limit_is_admin_editable(self, rep):
        GradeRule.objects.filter(grade=Grade.C).update(escalate_after_days=2)
        reminder = overdue_reminder(rep, Grade.C, 2)
        escalate_overdue(TODAY)
        assert Escalation.objects.filter(reminder=reminder).exists()

    def test_twice_escalates_once_and_closed_reminders_never(self, rep):
        overdue_reminder(rep, Grade.A, 10)
        done = overdue_reminder(rep, Grade.A, 10)
        done.state = ReminderState.DONE
        done.save()
        escalate_overdue(TODAY)
        assert escalate_overdue(TODAY) == {"A": 0, "B": 0, "C": 0}
        assert Escalation.objects.count() == 1

    def test_no_escalation_without_a_manager_or_to_oneself(self, manager):
        teamless = UserFactory(team=None)
        overdue_reminder(teamless, Grade.A, 10)
        overdue_reminder(manager, Grade.A, 10)  # the manager's own customer
        escalate_overdue(TODAY)
        assert not Escalation.objects.exists()

    def test_escalation_list_shows_only_own_team(self, client, rep, manager):
        mine = Escalation.objects.create(reminder=overdue_reminder(rep, Grade.A, 4), manager=manager)
        other_manager = UserFactory(role="manager")
        other_rep = UserFactory(team=TeamFactory(manager=other_manager))
        theirs = Escalation.objects.create(reminder=overdue_reminder(other_rep, Grade.A, 4), manager=other_manager)
        client.force_login(manager)
        page = client.get(reverse("visits:escalation_list")).content.decode()
        assert f'data-testid="escalation-{mine.pk}"' in page
        assert f'data-testid="escalation-{theirs.pk}"' not in page
        client.force_login(rep)
        assert client.get(reverse("visits:escalation_list")).status_code == 403


class TestDigest:
    def test_one_email_per_person_listing_every_reminder(self, rep, manager):
        overdue_reminder(rep, Grade.A, 2, name="青岛杰航机械有限公司")
        overdue_reminder(rep, Grade.B, 0, name="潍坊恒锐精密机械有限公司")
        Reminder.objects.create(
            customer=CustomerFactory(owner=rep),
            assignee=rep,
            kind=ReminderKind.NEXT_STEP,
            due_on=TODAY + datetime.timedelta(days=1),
        )
        assert send_daily_digests(TODAY) == 1
        [email] = mail.outbox
        assert email.to == [rep.email]
        assert "1 overdue follow-up, 1 due today" in email.subject
        assert "青岛杰航机械有限公司" in email.body and "潍坊恒锐精密机械有限公司" in email.body
        assert reverse("visits:day") in email.body

    def test_second_run_sends_nothing(self, rep):
        overdue_reminder(rep, Grade.A, 1)
        send_daily_digests(TODAY)
        assert send_daily_digests(TODAY) == 0
        assert len(mail.outbox) == 1
        assert DailyDigest.objects.get().sent_at is not None

    def test_next_day_is_a_new_digest(self, rep):
        overdue_reminder(rep, Grade.A, 1)
        send_daily_digests(TODAY)
        send_daily_digests(TODAY + datetime.timedelta(days=1))
        assert len(mail.outbox) == 2

    def test_failed_send_is_retried_by_the_next_run(self, rep, settings):
        overdue_reminder(rep, Grade.A, 1)
        settings.EMAIL_BACKEND = "tests.visits.failing_email.Backend"
        with pytest.raises(ConnectionError):
            send_daily_digests(TODAY)
        assert DailyDigest.objects.get().sent_at is None
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert send_daily_digests(TODAY) == 1
        assert len(mail.outbox) == 1

    def test_manager_hears_of_escalations_in_their_language(self, rep, manager):
        manager.language = "zh-hans"
        manager.save()
        Escalation.objects.create(reminder=overdue_reminder(rep, Grade.A, 4, name="烟台华精有限公司"), manager=manager)
        send_daily_digests(TODAY)
        [to_manager] = [email for email in mail.outbox if email.to == [manager.email]]
        assert "烟台华精有限公司" in to_manager.body
        assert "升级" in to_manager.subject and "逾期" in to_manager.subject

    def test_departed_and_addressless_people_get_none(self, rep):
        rep.mark_departed()
        overdue_reminder(rep, Grade.A, 1)
        no_email = UserFactory(email="")
        overdue_reminder(no_email, Grade.A, 1)
        assert send_daily_digests(TODAY) == 0
        assert mail.outbox == []


def test_language_switch_remembers_the_choice_for_emails(rep_client, rep):
    rep_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    rep.refresh_from_db()
    assert rep.language == "zh-hans"


def test_nav_badge_counts_due_follow_ups(rep_client, rep):
    overdue_reminder(rep, Grade.A, 1)
    Reminder.objects.create(
        customer=CustomerFactory(owner=rep),
        assignee=rep,
        kind=ReminderKind.CADENCE,
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    Reminder.objects.create(
        customer=CustomerFactory(owner=rep), assignee=rep, kind=ReminderKind.CADENCE, due_on=timezone.localdate()
    )
    nav = rep_client.get(reverse("crm:customer_list")).context["nav_items"]
    assert [item["count"] for item in nav if item["url"] == reverse("visits:day")] == [2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_digest_runs_send_each_email_once(rep):
    for other in UserFactory.create_batch(5, team=rep.team):
        overdue_reminder(other, Grade.B, 1)
    overdue_reminder(rep, Grade.B, 1)
    _results, errors = run_at_once(lambda: send_daily_digests(TODAY))
    assert errors == []
    assert sorted(email.to[0] for email in mail.outbox) == sorted(
        DailyDigest.objects.values_list("user__email", flat=True)
    )
    assert len(mail.outbox) == 6


def test_escalation_list_queries_do_not_grow(client, rep, manager, django_assert_num_queries):
    client.force_login(manager)

    def add(count):
        for _ in range(count):
            Escalation.objects.create(reminder=overdue_reminder(rep, Grade.A, 4), manager=manager)

    add(1)
    with django_assert_num_queries(7) as small:  # session, user, escalations, four nav counts
        client.get(reverse("visits:escalation_list"))
    add(10)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse("visits:escalation_list"))
