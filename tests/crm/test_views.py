import pytest
from django.urls import reverse

from crm.models import JobHeartbeat


@pytest.mark.django_db
def test_healthz_answers_without_login(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"db ok, broker ok"


@pytest.mark.django_db
def test_admin_home_warns_when_no_job_has_run(admin_client):
    """The admin's home is the follow-up board, which keeps the jobs' heartbeats."""
    response = admin_client.get(reverse("home"), follow=True)
    assert response.redirect_chain == [(reverse("board:board"), 302)]
    assert "is the worker running?" in response.content.decode()
    JobHeartbeat.beat("heartbeat")
    response = admin_client.get(reverse("home"), follow=True)
    assert "is the worker running?" not in response.content.decode()
    assert "heartbeat: last ran" in response.content.decode()


@pytest.mark.django_db
def test_manager_home_is_the_board_of_their_team(manager_client, rep):
    response = manager_client.get(reverse("home"), follow=True)
    assert response.redirect_chain == [(reverse("board:board"), 302)]
    assert rep in [row.person for row in response.context["figures"].rows]


@pytest.mark.django_db
def test_heartbeat_counts_runs():
    JobHeartbeat.beat("sweep")
    JobHeartbeat.beat("sweep")
    assert JobHeartbeat.objects.get(name="sweep").runs == 2
