"""Visits, the day, the pool, disputes and complaints through the API, and what a token may do."""

import datetime
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, AuditEntry
from accounts.services import api_token_revoke
from claims.models import Claim, OwnershipPolicy
from claims.services import dispute_open
from crm.complaints.models import Complaint
from tests.factories import CustomerFactory, UserFactory
from visits.models import CustomerSite, Reminder, Visit

pytestmark = pytest.mark.django_db


def started(hours=2):
    return (timezone.now() - datetime.timedelta(hours=hours)).isoformat()


def test_a_visit_sent_twice_with_its_client_id_is_one_visit(rep, bearer):
    customer = CustomerFactory(owner=rep)
    client, key = bearer(rep), str(uuid.uuid4())
    due = str(timezone.localdate() + datetime.timedelta(days=2))
    visit = {"method": "phone", "started_at": started(), "discussion": "谈了交期", "client_id": key,
             "next_step": "发报价", "next_step_due": due}  # fmt: skip
    first = client.post(f"/api/v1/customers/{customer.pk}/visits/", visit, format="json")
    assert first.status_code == 201, first.content
    again = client.post(f"/api/v1/customers/{customer.pk}/visits/", visit, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Visit.objects.count() == 1
    assert Reminder.objects.filter(customer=customer, kind="next_step").exists(), "visit_log made the next step"
    day = client.get("/api/v1/day/").json()
    assert [row["customer"]["id"] for row in day["week"]] == [customer.pk]
    listed = client.get(f"/api/v1/customers/{customer.pk}/visits/").json()["results"]
    assert [row["id"] for row in listed] == [first.json()["id"]]


def test_a_visit_obeys_the_forms_rules(rep, bearer):
    customer = CustomerFactory(owner=rep)
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    answer = bearer(rep).post(
        f"/api/v1/customers/{customer.pk}/visits/", {"started_at": future, "discussion": "x"}, format="json"
    )
    assert answer.status_code == 400 and "started_at" in answer.json()["errors"]
    assert not Visit.objects.exists()


def test_another_reps_visit_log_is_not_found(rep, other_rep, bearer):
    theirs = CustomerFactory(owner=other_rep)
    answer = bearer(rep).post(
        f"/api/v1/customers/{theirs.pk}/visits/", {"started_at": started(), "discussion": "x"}, format="json"
    )
    assert answer.status_code == 404 and not Visit.objects.exists()


def test_pool_claim_within_the_rules(rep, bearer):
    pooled = CustomerFactory(pool_since=timezone.now() - datetime.timedelta(days=3), pool_reason="imported")
    client = bearer(rep)
    assert pooled.pk in [row["id"] for row in client.get("/api/v1/pool/").json()["results"]]
    claimed = client.post(f"/api/v1/pool/{pooled.pk}/claim/")
    assert claimed.status_code == 200 and claimed.json()["customer"]["owner"]["id"] == rep.pk
    again = client.post(f"/api/v1/pool/{pooled.pk}/claim/")
    assert again.status_code == 409 and again.json()["code"] == "ownership_refused"


def test_a_rep_cannot_claim_past_the_holding_limit(rep, bearer):
    OwnershipPolicy.objects.update_or_create(pk=1, defaults={"holding_limit": 0})
    pooled = CustomerFactory(pool_since=timezone.now() - datetime.timedelta(days=3), pool_reason="imported")
    answer = bearer(rep).post(f"/api/v1/pool/{pooled.pk}/claim/")
    assert answer.status_code == 409 and answer.json()["code"] == "ownership_refused"
    pooled.refresh_from_db()
    assert pooled.owner is None


def test_disputes_are_decided_by_the_manager_only(rep, manager, team, bearer):
    colleague = UserFactory(role="rep", team=team)
    customer = CustomerFactory(owner=rep)
    Claim.objects.create(customer=customer, holder=rep, renewed_on=timezone.localdate(),
                         protected_until=timezone.localdate() + datetime.timedelta(days=90))  # fmt: skip
    dispute = dispute_open(customer=customer, actor=colleague, statement="展会上我先接触的")
    decision = {"outcome": "keep", "reason": "登记在先"}
    party = bearer(colleague)
    assert party.get("/api/v1/disputes/").json()["results"][0]["may_decide"] is False
    refused = party.post(f"/api/v1/disputes/{dispute.pk}/decide/", decision, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"  # a party, as the page
    decided = bearer(manager).post(f"/api/v1/disputes/{dispute.pk}/decide/", decision, format="json")
    assert decided.status_code == 200 and decided.json()["state"] == "decided", decided.content
    history = bearer(rep).get(f"/api/v1/customers/{customer.pk}/history/").json()["results"]
    assert history[0]["kind"] == "decided"


def test_complaint_workflow(rep, bearer):
    customer = CustomerFactory(owner=rep)
    client = bearer(rep)
    made = client.post(
        f"/api/v1/customers/{customer.pk}/complaints/",
        {"complainant_name": "李主任", "description": "主轴异响", "category": "quality"},
        format="json",
    )
    assert made.status_code == 201, made.content
    url = f"/api/v1/complaints/{made.json()['id']}/steps/"
    refused = client.post(url, {"to_state": "resolved"}, format="json")
    assert refused.status_code == 400 and "resolution_actions" in refused.json()["errors"]
    resolved = client.post(url, {"to_state": "resolved", "resolution_actions": "更换主轴"}, format="json")
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    assert [row["id"] for row in client.get("/api/v1/complaints/", {"state": "resolved"}).json()["results"]] == [
        made.json()["id"]
    ]
    assert Complaint.objects.get().state == "resolved"


def test_a_read_only_token_reads_and_never_writes(rep, bearer):
    client = bearer(rep, read_only=True)
    assert client.get("/api/v1/customers/").status_code == 200
    answer = client.post("/api/v1/customers/register/", {"name": "x", "phones": "1", "need": "y"}, format="json")
    assert answer.status_code == 403 and answer.json()["code"] == "read_only_token"


def test_tokens_are_hashed_used_revoked_and_audited(rep, admin_user, bearer):
    client = bearer(rep)
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    assert client.get("/api/v1/day/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    key = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert key not in str(ApiToken.objects.values_list()) and token.prefix in key
    api_token_revoke(token=token, actor=admin_user)
    refused = client.get("/api/v1/day/")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert list(
        AuditEntry.objects.filter(subject_id=str(token.pk)).values_list("action", flat=True).order_by("pk")
    ) == [
        "api_token_created",
        "api_token_revoked",
    ]


def test_a_departed_users_token_no_longer_works(rep, bearer):
    client = bearer(rep)
    rep.mark_departed()
    assert client.get("/api/v1/day/").status_code == 401


def test_the_browser_session_needs_its_csrf_token(rep):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(rep)
    assert browser.get("/api/v1/customers/").status_code == 200
    refused = browser.post("/api/v1/customers/register/", {}, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]


def test_signed_out_is_401_not_a_redirect(db):
    answer = APIClient().get("/api/v1/customers/")
    assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"


def test_rate_limit_per_token(rep, bearer, settings):
    settings.API_RATE = "2/minute"
    first, second = bearer(rep), bearer(rep)
    assert [first.get("/api/v1/day/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/day/").status_code == 200, "each token counts on its own"
    limited = first.get("/api/v1/day/")
    assert limited.json()["code"] == "throttled" and int(limited["Retry-After"]) > 0


def test_an_onsite_visit_carries_its_check_in_as_the_form_does(rep, bearer):
    customer = CustomerFactory(owner=rep)
    CustomerSite.objects.create(customer=customer, lat=36.0669, lng=120.3826, confirmed_at=timezone.now())
    client = bearer(rep)
    tap = {"checkin_lat": "36.066900", "checkin_lng": "120.438200", "checkin_accuracy": 12}  # 5 km east
    visit = {"method": "onsite", "started_at": started(), "discussion": "现场看了设备"}
    far = client.post(f"/api/v1/customers/{customer.pk}/visits/", visit | tap | {"checkin_at": started(0)},
                      format="json")  # fmt: skip
    stale = client.post(f"/api/v1/customers/{customer.pk}/visits/", visit | tap | {"checkin_at": started(48)},
                        format="json")  # fmt: skip
    assert far.status_code == stale.status_code == 201, (far.content, stale.content)
    far, stale = Visit.objects.get(pk=far.json()["id"]), Visit.objects.get(pk=stale.json()["id"])
    assert 4900 < far.checkin_distance < 5100
    assert stale.checkin_at is None, "a position from another day is no check-in, and no refusal either"
    assert set(Visit.objects.unverified_onsite()) == {far, stale}
