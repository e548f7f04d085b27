"""Working without signal: visits sent from the phone's queue are kept once, refused ones keep nothing, and the
installable app's manifest and service worker are served as browsers need them."""

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.concurrency import run_at_once
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from visits.models import Visit

pytestmark = [pytest.mark.django_db]

QUEUE = {"HTTP_X_VISIT_QUEUE": "1", "HTTP_ACCEPT": "application/json"}


@pytest.fixture
def own(rep):
    return CustomerFactory(owner=rep, grade="B")


def visit_data(**changes):
    return {
        "method": "phone",
        "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "discussion": "电话确认下周二到厂演示",
        "client_id": str(uuid.uuid4()),
        **changes,
    }


def log_url(customer):
    return reverse("visits:visit_create", args=[customer.pk])


class TestSentTwiceKeptOnce:
    def test_the_queue_gets_recorded_then_duplicate(self, rep_client, own):
        data = visit_data()
        first = rep_client.post(log_url(own), data, **QUEUE)
        assert first.status_code == 201 and first.json()["status"] == "recorded"
        second = rep_client.post(log_url(own), data, **QUEUE)
        assert second.status_code == 200
        assert second.json() == {"status": "duplicate", "visit": first.json()["visit"], "url": first.json()["url"]}
        visit = own.visits.get()
        assert str(visit.client_id) == data["client_id"] and visit.discussion == data["discussion"]

    def test_the_page_form_posted_twice_shows_the_result_once(self, rep_client, own):
        data = visit_data(next=reverse("visits:day"))
        assert rep_client.post(log_url(own), data)["Location"] == reverse("visits:day")
        again = rep_client.post(log_url(own), data, follow=True)
        assert again.redirect_chain == [(reverse("visits:day"), 302)]
        assert "This visit was recorded already; it is kept once." in again.content.decode()
        assert own.visits.count() == 1

    def test_a_visit_recorded_before_the_customer_moved_is_still_a_duplicate(self, rep, rep_client, own):
        """The first answer was lost on the way; meanwhile the customer went to a colleague."""
        data = visit_data()
        rep_client.post(log_url(own), data, **QUEUE)
        own.owner = UserFactory(team=rep.team)
        own.save()
        assert rep_client.post(log_url(own), data, **QUEUE).json()["status"] == "duplicate"

    def test_the_id_is_kept_per_author(self, rep, rep_client, own, manager):
        data = visit_data()
        rep_client.post(log_url(own), data, **QUEUE)
        other = Client()
        other.force_login(manager)
        assert other.post(log_url(own), data, **QUEUE).status_code == 201
        assert own.visits.count() == 2

    def test_visits_without_an_id_are_each_recorded(self, rep_client, own):
        data = visit_data(client_id="")
        rep_client.post(log_url(own), data, **QUEUE)
        rep_client.post(log_url(own), data, **QUEUE)
        assert own.visits.filter(client_id=None).count() == 2

    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)
    def test_sent_twice_at_once_makes_one_visit(self, rep, own):
        data = visit_data()

        def send():
            client = Client()
            client.force_login(rep)
            response = client.post(log_url(own), data, **QUEUE)
            return response.status_code, response.json()["status"]

        results, errors = run_at_once(send, threads=3)
        assert errors == []
        assert sorted(results) == [(200, "duplicate"), (200, "duplicate"), (201, "recorded")]
        assert Visit.objects.filter(client_id=data["client_id"]).count() == 1


class TestRefusals:
    def test_invalid_data_is_refused_with_reasons_and_keeps_nothing(self, rep_client, own):
        response = rep_client.post(log_url(own), visit_data(discussion="", next_step="发报价"), **QUEUE)
        assert response.status_code == 400
        answer = response.json()
        assert answer["status"] == "refused"
        assert any(reason.startswith("Next step due:") for reason in answer["errors"])
        assert not own.visits.exists()

    def test_a_future_start_is_refused_as_on_the_page(self, rep_client, own):
        later = (timezone.localtime() + timezone.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        response = rep_client.post(log_url(own), visit_data(started_at=later), **QUEUE)
        assert response.status_code == 400
        assert "A visit is logged after it happened, not before." in " ".join(response.json()["errors"])

    def test_a_customer_moved_to_another_team_is_not_found(self, rep_client, own):
        own.owner = UserFactory(team=TeamFactory())
        own.save()
        response = rep_client.post(log_url(own), visit_data(), **QUEUE)
        assert response.status_code == 404
        assert response.json() == {"status": "not_allowed", "errors": ["This customer is no longer among yours."]}
        assert not Visit.objects.exists()

    def test_a_customer_moved_within_the_team_is_refused(self, rep, rep_client, own):
        own.owner = UserFactory(team=rep.team)
        own.save()
        response = rep_client.post(log_url(own), visit_data(), **QUEUE)
        if response.status_code == 404:  # a rep does not see a colleague's customer in full
            assert response.json()["status"] == "not_allowed"
        else:
            assert response.status_code == 403
            assert response.json()["errors"] == ["You may no longer log visits for this customer."]
        assert not Visit.objects.exists()

    def test_a_signed_out_phone_is_sent_to_the_login_page(self, client, own):
        response = client.post(log_url(own), visit_data(), **QUEUE)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_form_page_carries_an_empty_id_for_the_phone_to_fill(rep_client, own):
    ContactFactory(customer=own)
    page = rep_client.get(log_url(own)).content.decode()
    assert '<input type="hidden" name="client_id" id="id_client_id">' in page
    assert f'data-offline-form="{log_url(own)}"' in page


def test_a_refused_page_post_keeps_its_id(rep_client, own):
    data = visit_data(discussion="")
    page = rep_client.post(log_url(own), data).content.decode()
    assert f'value="{data["client_id"]}"' in page


def test_csrf_endpoint_gives_a_token_and_the_user(rep_client, rep):
    response = rep_client.get(reverse("visits:offline_csrf"))
    assert response.json()["user"] == rep.pk and len(response.json()["token"]) == 64
    assert "no-cache" in response["Cache-Control"]


class TestInstallableApp:
    def test_manifest(self, client):
        response = client.get("/manifest.webmanifest")
        assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
        manifest = json.loads(response.content)
        assert manifest["start_url"] == "/day/" and manifest["scope"] == "/" and manifest["display"] == "standalone"
        assert manifest["theme_color"] and manifest["name"] and manifest["short_name"]
        icons = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
        assert icons == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
        for icon in manifest["icons"]:
            assert icon["type"] == "image/png"

    def test_manifest_in_chinese(self, client):
        client.cookies["django_language"] = "zh-hans"
        assert json.loads(client.get("/manifest.webmanifest").content)["name"] == "销售客户管理"

    def test_service_worker_from_the_root(self, client):
        response = client.get("/sw.js")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/javascript; charset=utf-8"
        assert response["Service-Worker-Allowed"] == "/"
        assert response["Cache-Control"] == "no-cache"
        body = response.content.decode()
        assert "importScripts(" in body and "workbox-precaching.prod.js" in body and "sw-routes.js" in body
        config = json.loads(body.split("self.CRM_SW = ", 1)[1].split(";\n", 1)[0])
        assert "/static/js/offline.js" in {entry["url"] for entry in config["precache"]}
        assert all(entry["revision"] for entry in config["precache"])  # unhashed names (DEBUG): content revisions

    def test_csp_stays_strict(self, client):
        for url in ("/sw.js", "/manifest.webmanifest", reverse("accounts:login")):
            policy = client.get(url)["Content-Security-Policy"]
            assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
            assert "script-src 'self'" in policy and "worker-src 'self'" in policy and "manifest-src 'self'" in policy

    def test_every_page_links_the_manifest_and_the_queue(self, rep_client):
        page = rep_client.get(reverse("visits:day")).content.decode()
        assert 'rel="manifest" href="/manifest.webmanifest"' in page
        assert 'id="offline-queue"' in page and "/static/js/offline.js" in page


def test_the_shell_kept_at_install_holds_every_script_and_style_the_offline_pages_load():
    """A page opened without signal loads its scripts from the phone: each must be in the precached shell."""
    import re
    from pathlib import Path

    from django.conf import settings

    from visits.offline import SHELL

    templates = Path(settings.BASE_DIR) / "templates"
    offline_pages = ["base.html", "visits/day.html", "visits/visit_form.html", "crm/customer_detail.html"]
    loaded = {
        name
        for page in offline_pages
        for name in re.findall(r"""\{% static ['"]([^'"]+\.(?:js|css))['"] %\}""", (templates / page).read_text())
    }
    assert loaded - set(SHELL) == set()
