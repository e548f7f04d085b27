import pytest

from accounts.models import Role, User
from tests.factories import TeamFactory, UserFactory, log_in


@pytest.mark.django_db
class TestVisibleTo:
    def setup_method(self):
        self.team_a = TeamFactory()
        self.team_b = TeamFactory()
        self.manager_a = UserFactory(role=Role.MANAGER)
        self.team_a.manager = self.manager_a
        self.team_a.save()
        self.rep_a1 = UserFactory(team=self.team_a)
        self.rep_a2 = UserFactory(team=self.team_a)
        self.rep_b = UserFactory(team=self.team_b)
        self.admin = UserFactory(role=Role.ADMIN)

    def test_rep_sees_only_self(self):
        assert list(User.objects.visible_to(self.rep_a1)) == [self.rep_a1]

    def test_manager_sees_self_and_led_team(self):
        visible = set(User.objects.visible_to(self.manager_a))
        assert visible == {self.manager_a, self.rep_a1, self.rep_a2}

    def test_manager_leading_two_teams_sees_both(self):
        self.team_b.manager = self.manager_a
        self.team_b.save()
        assert self.rep_b in User.objects.visible_to(self.manager_a)
        assert User.objects.visible_to(self.manager_a).count() == 4

    def test_admin_sees_everyone(self):
        assert User.objects.visible_to(self.admin).count() == User.objects.count()

    def test_departed_user_sees_nothing(self):
        self.manager_a.mark_departed()
        assert not User.objects.visible_to(self.manager_a).exists()


@pytest.mark.django_db
def test_role_alone_decides_django_admin_access():
    user = UserFactory(role=Role.ADMIN)
    assert user.is_staff and user.is_superuser
    user.role = Role.REP
    user.save()
    user.refresh_from_db()
    assert not user.is_staff and not user.is_superuser


@pytest.mark.django_db
def test_createsuperuser_makes_an_admin():
    user = User.objects.create_superuser("boss", "boss@example.com", "x-pass-12345")
    assert user.role == Role.ADMIN and user.is_admin and user.is_staff


@pytest.mark.django_db
def test_mark_departed_blocks_login(client):

    rep = UserFactory()
    assert log_in(client, rep.username)
    client.logout()
    rep.mark_departed()
    rep.refresh_from_db()
    assert rep.has_departed and not rep.is_active
    assert not log_in(client, rep.username)
    assert not User.objects.current().filter(pk=rep.pk).exists()


def test_full_name_follows_the_name_order_of_its_language():
    assert User(last_name="王", first_name="建国").get_full_name() == "王建国"
    assert User(last_name="Smith", first_name="Anna").get_full_name() == "Anna Smith"
