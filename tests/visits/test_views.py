import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from visits.models import Reminder, ReminderKind, ReminderState, Visit

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def own(rep):
    return CustomerFactory(owner=rep, grade="B")


@pytest.fixture
def foreign():
    return CustomerFactory(owner=UserFactory(team=TeamFactory()))


def test_rep_home_is_the_day(rep_client):
    response = rep_client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("visits:day")


def test_quick_log_closes_reminder_and_returns_to_day(rep_client, rep, own):
    reminder = Reminder.objects.create(
        customer=own, assignee=rep, kind=ReminderKind.CADENCE, due_on=timezone.localdate()
    )
    contact = ContactFactory(customer=own, is_primary=True)
    response = rep_client.get(reverse("visits:visit_create", args=[own.pk]))
    assert response.context["form"].initial["contacts"] == [contact.pk]
    response = rep_client.post(
        reverse("visits:visit_create", args=[own.pk]),
        {"method": "phone", "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "contacts": [contact.pk],
         "discussion": "客户要五轴加工中心", "next": reverse("visits:day")},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == reverse("visits:day")
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.DONE
    assert own.visits.get().contacts.get() == contact


def test_quick_log_error_keeps_what_was_typed(rep_client, own):
    response = rep_client.post(
        reverse("visits:visit_create", args=[own.pk]),
        {"method": "onsite", "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
         "discussion": "谈了价格", "next_step": "发报价", "needs": "预算50万以内"},
    )  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert "Give the next step a date." in page
    assert "谈了价格" in page and "预算50万以内" in page and "发报价" in page
    assert not Visit.objects.exists()


def test_other_reps_customer_cannot_be_logged_or_paused(rep_client, foreign):
    assert rep_client.get(reverse("visits:visit_create", args=[foreign.pk])).status_code == 404
    assert rep_client.post(reverse("visits:snooze", args=[foreign.pk]), {"days": 30, "reason": "x"}).status_code == 404


def test_other_reps_visit_and_reminder_unreachable(rep_client, foreign):
    visit = Visit.objects.create(customer=foreign, author=foreign.owner, started_at=timezone.now(), discussion="x")
    reminder = Reminder.objects.create(
        customer=foreign, assignee=foreign.owner, kind="cadence", due_on=timezone.localdate()
    )
    assert rep_client.get(reverse("visits:visit_edit", args=[visit.pk])).status_code == 404
    assert rep_client.post(reverse("visits:reminder_dismiss", args=[reminder.pk]), {"reason": "x"}).status_code == 404
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.OPEN


def test_author_edits_within_a_week_then_it_is_a_record(rep_client, rep, own):
    visit = Visit.objects.create(customer=own, author=rep, started_at=timezone.now(), discussion="x")
    assert rep_client.get(reverse("visits:visit_edit", args=[visit.pk])).status_code == 200
    Visit.objects.filter(pk=visit.pk).update(logged_at=timezone.now() - datetime.timedelta(days=8))
    assert rep_client.get(reverse("visits:visit_edit", args=[visit.pk])).status_code == 403


def test_dismiss_needs_a_reason(rep_client, rep, own):
    reminder = Reminder.objects.create(customer=own, assignee=rep, kind="cadence", due_on=timezone.localdate())
    rep_client.post(reverse("visits:reminder_dismiss", args=[reminder.pk]), {"reason": ""})
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.OPEN
    rep_client.post(reverse("visits:reminder_dismiss", args=[reminder.pk]), {"reason": "客户已在谈合同"})
    reminder.refresh_from_db()
    assert (reminder.state, reminder.dismissed_reason) == (ReminderState.DISMISSED, "客户已在谈合同")


def test_day_sections_and_constant_queries(rep_client, rep, django_assert_num_queries):
    today = timezone.localdate()

    def add(count):
        for offset in (-2, 0, 3) * count:
            customer = CustomerFactory(owner=rep)
            Reminder.objects.create(
                customer=customer, assignee=rep, kind="cadence", due_on=today + datetime.timedelta(days=offset)
            )

    add(1)
    # session, user, reminders with their customers, the contacts to call; due, dispute and unread counts
    with django_assert_num_queries(7) as small:
        response = rep_client.get(reverse("visits:day"))
    assert response.context["counts"] == {"overdue": 1, "today": 1, "week": 1}
    add(10)
    with django_assert_num_queries(len(small.captured_queries)):
        rep_client.get(reverse("visits:day"))


def test_card_shows_visits_newest_first(rep_client, rep, own):
    for days, text in [(3, "第一次拜访"), (1, "第二次拜访")]:
        Visit.objects.create(
            customer=own, author=rep, started_at=timezone.now() - datetime.timedelta(days=days), discussion=text
        )
    page = rep_client.get(reverse("crm:customer_detail", args=[own.pk])).content.decode()
    assert page.index("第二次拜访") < page.index("第一次拜访")


def visit_post_data(visit, **changes):
    data = {
        "method": visit.method,
        "started_at": timezone.localtime(visit.started_at).strftime("%Y-%m-%dT%H:%M"),
        "discussion": visit.discussion,
    }
    return {**data, **changes}


def test_author_edit_keeps_a_revision_without_asking_why(rep_client, rep, own):
    visit = Visit.objects.create(customer=own, author=rep, started_at=timezone.now(), discussion="谈了价格")
    response = rep_client.post(
        reverse("visits:visit_edit", args=[visit.pk]), visit_post_data(visit, discussion="谈了价格和交期")
    )
    assert response.status_code == 302
    revision = visit.revisions.get()
    assert revision.edited_by == rep and revision.reason == ""
    assert revision.changes == {"discussion": ["谈了价格", "谈了价格和交期"]}


def test_admin_corrects_an_old_log_only_with_a_reason(client, admin_user, rep, own):
    started = timezone.now() - datetime.timedelta(days=20)
    visit = Visit.objects.create(customer=own, author=rep, started_at=started, discussion="x")
    Visit.objects.filter(pk=visit.pk).update(logged_at=started)
    visit.refresh_from_db()
    own.last_contact_on = timezone.localdate(started)
    own.save()
    client.force_login(admin_user)
    url = reverse("visits:visit_edit", args=[visit.pk])
    corrected_start = timezone.localtime(started - datetime.timedelta(days=1))
    data = visit_post_data(visit, started_at=corrected_start.strftime("%Y-%m-%dT%H:%M"))
    response = client.post(url, data)
    assert response.status_code == 200 and "correction_reason" in response.context["form"].errors
    assert not visit.revisions.exists()
    response = client.post(url, {**data, "correction_reason": "代表填错日期"})
    assert response.status_code == 302
    revision = visit.revisions.get()
    assert (revision.edited_by, revision.reason) == (admin_user, "代表填错日期")
    assert revision.changes["started_at"][1] == corrected_start.strftime("%Y-%m-%d %H:%M")
    own.refresh_from_db()
    assert own.last_contact_on == corrected_start.date()
    history = client.get(reverse("visits:visit_history", args=[visit.pk])).content.decode()
    assert "代表填错日期" in history
    card = client.get(reverse("crm:customer_detail", args=[own.pk])).content.decode()
    assert reverse("visits:visit_history", args=[visit.pk]) in card


def test_history_of_another_teams_visit_is_not_found(rep_client, foreign):
    visit = Visit.objects.create(customer=foreign, author=foreign.owner, started_at=timezone.now(), discussion="x")
    assert rep_client.get(reverse("visits:visit_history", args=[visit.pk])).status_code == 404


def test_quick_log_never_redirects_off_site(rep_client, own):
    response = rep_client.post(
        reverse("visits:visit_create", args=[own.pk]),
        {"method": "phone", "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "discussion": "x",
         "next": "https://evil.example.com/"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == reverse("visits:day")


def test_visit_history_queries_do_not_grow(rep_client, rep, own, django_assert_num_queries):
    from visits.models import VisitRevision

    visit = Visit.objects.create(customer=own, author=rep, started_at=timezone.now(), discussion="x")
    VisitRevision.objects.create(visit=visit, edited_by=rep, changes={"discussion": ["a", "b"]})
    url = reverse("visits:visit_history", args=[visit.pk])
    with django_assert_num_queries(7) as small:
        rep_client.get(url)
    for _ in range(10):
        VisitRevision.objects.create(visit=visit, edited_by=rep, changes={"discussion": ["a", "b"]})
    with django_assert_num_queries(len(small.captured_queries)):
        rep_client.get(url)
