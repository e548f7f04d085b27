"""Departure has one path (DOMAIN §5.8): whatever marks someone as gone leaves no customer with them."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from claims.models import EventKind, OwnershipEvent
from claims.stranded import stranded_customers_report
from claims.tasks import stranded_customers_task
from crm.models import Customer, Notification, NotificationKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def holdings(register, rep):
    return [register(rep, name, phones=phone).customer for name, phone in
            [("青岛杰航机械有限公司", "0532-81111111"), ("烟台华精汽车零部件有限公司", "0535-82222222")]]  # fmt: skip


def admin_form(user, **changes):
    """The admin's change form for `user` as the browser posts it, with `changes`."""
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
        "email": user.email, "phone": user.phone, "role": user.role, "team": user.team_id or "",
        "departed_at_0": "", "departed_at_1": "", "_save": "Save",
    }  # fmt: skip
    if user.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def stranded():
    return Customer.objects.held_by_people_who_left()


class TestAdminUserForm:
    def test_unticking_active_for_a_holder_is_refused_with_the_departure_page(self, admin_client, rep, holdings):
        url = reverse("admin:accounts_user_change", args=[rep.pk])
        response = admin_client.post(url, admin_form(rep, is_active=None))
        assert response.status_code == 200
        page = response.content.decode()
        assert "still holds 2 customers" in page
        assert reverse("claims:depart", args=[rep.pk]) in page
        rep.refresh_from_db()
        assert rep.is_active and not rep.has_departed
        assert not stranded().exists()

    def test_setting_departed_at_for_a_holder_is_refused(self, admin_client, rep, holdings):
        url = reverse("admin:accounts_user_change", args=[rep.pk])
        response = admin_client.post(
            url, admin_form(rep, is_active=None, departed_at_0="2026-12-01", departed_at_1="09:00:00")
        )
        assert response.status_code == 200 and "still holds 2 customers" in response.content.decode()
        rep.refresh_from_db()
        assert rep.is_active and not rep.has_departed
        assert not stranded().exists()

    def test_the_departure_page_then_moves_them_and_the_admin_form_is_free(self, admin_client, rep, holdings):
        page = admin_client.get(reverse("admin:accounts_user_change", args=[rep.pk])).content.decode()
        assert reverse("claims:depart", args=[rep.pk]) in page and "Holds 2 customers." in page
        response = admin_client.post(reverse("claims:depart", args=[rep.pk]), {"destination": "pool"})
        assert response.status_code == 302
        assert not stranded().exists() and not Customer.objects.filter(owner=rep).exists()
        assert OwnershipEvent.objects.filter(kind=EventKind.DEPARTED, from_user=rep).count() == 2
        rep.refresh_from_db()
        assert rep.has_departed and not rep.is_active
        response = admin_client.post(reverse("admin:accounts_user_change", args=[rep.pk]), admin_form(rep, phone="1"))
        assert response.status_code == 302

    def test_someone_holding_nothing_may_be_deactivated_in_the_admin(self, admin_client, rep):
        url = reverse("admin:accounts_user_change", args=[rep.pk])
        response = admin_client.post(url, admin_form(rep, is_active=None))
        assert response.status_code == 302
        rep.refresh_from_db()
        assert not rep.is_active

    def test_departed_but_still_active_is_refused(self, admin_client, rep):
        url = reverse("admin:accounts_user_change", args=[rep.pk])
        response = admin_client.post(url, admin_form(rep, departed_at_0="2026-12-01", departed_at_1="09:00:00"))
        assert response.status_code == 200 and "untick" in response.content.decode()
        rep.refresh_from_db()
        assert not rep.has_departed

    def test_the_bulk_delete_cannot_take_a_holder_away(self, admin_client, rep, holdings):
        response = admin_client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "delete_selected", "_selected_action": [rep.pk], "post": "yes"},
        )
        assert response.status_code in {200, 302}
        assert User.objects.filter(pk=rep.pk, is_active=True).exists()
        assert Customer.objects.filter(owner=rep).count() == 2 and not stranded().exists()


def test_a_plain_save_cannot_strand_customers(rep, holdings):
    rep.is_active = False
    with pytest.raises(ValidationError, match="still holds 2 customers"):
        rep.save()
    rep.refresh_from_db()
    with pytest.raises(ValidationError, match="departure page"):
        rep.mark_departed()
    rep.refresh_from_db()
    assert rep.is_active and not rep.has_departed


class TestTeamPage:
    def test_someone_who_left_holding_customers_keeps_the_departure_action(self, manager_client, rep, holdings):
        # The state an old database or a bulk SQL update can leave behind.
        User.objects.filter(pk=rep.pk).update(is_active=False, departed_at=timezone.now())
        page = manager_client.get(reverse("accounts:team")).content.decode()
        assert f'data-testid="depart-{rep.pk}"' in page and "Move their 2 customers" in page
        response = manager_client.post(reverse("claims:depart", args=[rep.pk]), {"destination": "pool"})
        assert response.status_code == 302
        assert not stranded().exists()
        page = manager_client.get(reverse("accounts:team")).content.decode()
        assert f'data-testid="depart-{rep.pk}"' not in page

    def test_someone_only_made_inactive_can_still_be_marked_departed(self, manager_client, rep, holdings):
        User.objects.filter(pk=rep.pk).update(is_active=False)
        page = manager_client.get(reverse("accounts:team")).content.decode()
        assert f'data-testid="depart-{rep.pk}"' in page and "Inactive" in page


def test_the_database_check_names_whoever_left_holding_customers(rep, holdings):
    from django.core.checks import run_checks

    assert not [m for m in run_checks(databases=["default"]) if m.id == "claims.W001"]
    User.objects.filter(pk=rep.pk).update(is_active=False)
    [warning] = [m for m in run_checks(databases=["default"]) if m.id == "claims.W001"]
    assert rep.username in warning.msg and reverse("claims:depart", args=[rep.pk]) in warning.hint
    assert not [m for m in run_checks() if m.id == "claims.W001"]  # never without --database


class TestNightlyCheck:
    def test_admins_are_told_once_per_person_with_a_link_to_the_departure_page(self, rep, holdings, admin_user):
        other_admin = User.objects.create_user("admin2", role="admin")
        assert stranded_customers_report() == 0
        User.objects.filter(pk=rep.pk).update(is_active=False)
        assert stranded_customers_task() == 2
        assert stranded_customers_report() == 0  # a second run tells nobody again
        notices = Notification.objects.filter(kind=NotificationKind.STRANDED_CUSTOMERS)
        assert {n.user for n in notices} == {admin_user, other_admin}
        assert {n.link for n in notices} == {reverse("claims:depart", args=[rep.pk])}
        assert "still holds 2 customers" in notices[0].detail and rep.username in notices[0].detail

    def test_a_read_notice_is_repeated_the_next_night_until_the_customers_move(self, rep, holdings, admin_user, client):
        User.objects.filter(pk=rep.pk).update(departed_at=timezone.now(), is_active=False)
        assert stranded_customers_report() == 1
        Notification.objects.update(read_at=timezone.now())
        assert stranded_customers_report() == 1
        client.force_login(admin_user)
        client.post(reverse("claims:depart", args=[rep.pk]), {"destination": "pool"})
        Notification.objects.update(read_at=timezone.now())
        assert stranded_customers_report() == 0
