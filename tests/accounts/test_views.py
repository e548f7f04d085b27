import pytest
from django.urls import reverse

from accounts.models import Role
from tests.factories import PASSWORD, TeamFactory, UserFactory


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["home", "visits:day", "accounts:team", "accounts:password_change"])
def test_pages_require_login(client, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_login_page_and_language_switch_work_anonymously(client):
    assert client.get(reverse("accounts:login")).status_code == 200
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get(reverse("accounts:login"))
    assert "登录" in page.content.decode()


@pytest.mark.django_db
def test_login_then_logout(client, rep):
    response = client.post(reverse("accounts:login"), {"username": rep.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("visits:day")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_message(client, rep):
    response = client.post(reverse("accounts:login"), {"username": rep.username, "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert response.context["form"]["username"].value() == rep.username


@pytest.mark.django_db
def test_password_change(client, rep):
    client.force_login(rep)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "brand-new-pass-77",
            "new_password2": "brand-new-pass-77",
        },
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.check_password("brand-new-pass-77")


def nav_labels(response):
    return [str(item["label"]) for item in response.context["nav_items"]]


@pytest.mark.django_db
def test_navigation_fits_each_role(client, rep, manager, admin_user):
    client.force_login(rep)
    assert nav_labels(client.get(reverse("visits:day"))) == [
        "My day",
        "Customers",
        "Register customer",
        "Pool",
        "Disputes",
        "Pipeline",
        "Complaints",
    ]
    client.force_login(manager)
    assert nav_labels(client.get(reverse("home"), follow=True)) == [
        "Board",
        "My day",
        "Customers",
        "Register customer",
        "Pool",
        "Disputes",
        "Pipeline",
        "Complaints",
        "Escalations",
        "Team",
    ]
    client.force_login(admin_user)
    assert nav_labels(client.get(reverse("home"), follow=True)) == [
        "Board",
        "My day",
        "Customers",
        "Register customer",
        "Pool",
        "Disputes",
        "Pipeline",
        "Complaints",
        "Escalations",
        "Team",
        "Webhooks",
        "Admin site",
    ]


@pytest.mark.django_db
def test_rep_cannot_open_team_page(rep_client):
    assert rep_client.get(reverse("accounts:team")).status_code == 403


@pytest.mark.django_db
def test_manager_sees_own_team_only(manager_client, manager, rep):
    other_team = TeamFactory()
    outsider = UserFactory(team=other_team)
    response = manager_client.get(reverse("accounts:team"))
    assert response.status_code == 200
    assert rep in response.context["members"]
    assert outsider not in response.context["members"]
    assert manager_client.get(reverse("accounts:team"), {"team": other_team.pk}).status_code == 404
    assert manager_client.get(reverse("accounts:team"), {"team": "x"}).status_code == 404


@pytest.mark.django_db
def test_admin_switches_team(admin_client, team):
    other_team = TeamFactory()
    member = UserFactory(team=other_team, role=Role.REP)
    response = admin_client.get(reverse("accounts:team"), {"team": other_team.pk})
    assert response.context["selected"] == other_team
    assert list(response.context["members"]) == [member]


@pytest.mark.django_db
def test_team_page_query_count_is_constant(django_assert_num_queries, manager_client, team):
    UserFactory.create_batch(3, team=team)
    with django_assert_num_queries(8):
        manager_client.get(reverse("accounts:team"))
    UserFactory.create_batch(20, team=team)
    with django_assert_num_queries(8):
        manager_client.get(reverse("accounts:team"))


@pytest.mark.django_db
def test_admin_site_is_for_admins_only(client, rep, admin_user):
    client.force_login(rep)
    assert client.get(reverse("admin:index")).status_code == 302
    client.force_login(admin_user)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_team_changelist")).status_code == 200
