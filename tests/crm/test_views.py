import pytest
from django.urls import reverse

from crm.models import JobHeartbeat


@pytest.mark.django_db
def test_healthz_answers_without_login(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_admin_home_warns_when_no_job_has_run(admin_client):
    response = admin_client.get(reverse("home"))
    assert "is the worker running?" in response.content.decode()
    JobHeartbeat.beat("heartbeat")
    response = admin_client.get(reverse("home"))
    assert "is the worker running?" not in response.content.decode()
    assert "heartbeat: last ran" in response.content.decode()


@pytest.mark.django_db
def test_manager_home_lists_team(manager_client, rep):
    response = manager_client.get(reverse("home"))
    assert rep in response.context["team_members"]


@pytest.mark.django_db
def test_heartbeat_counts_runs():
    JobHeartbeat.beat("sweep")
    JobHeartbeat.beat("sweep")
    assert JobHeartbeat.objects.get(name="sweep").runs == 2
