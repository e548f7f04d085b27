"""The profile page's API tokens: made and shown once, revoked by their owner (or an admin, in the admin site)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken, AuditEntry
from accounts.services import api_token_create
from accounts.tokens import key_hash

pytestmark = pytest.mark.django_db


def test_a_new_token_is_shown_once_and_only_its_hash_kept(rep_client, rep):
    answer = rep_client.post("/accounts/profile/", {"name": "ERP 同步", "read_only": "on"})
    assert answer.status_code == 200
    token = ApiToken.objects.get(user=rep)
    key = answer.context["new_key"]
    assert key.encode() in answer.content and token.read_only and token.key_hash == key_hash(key)
    assert key.encode() not in rep_client.get("/accounts/profile/").content, "shown once"
    assert AuditEntry.objects.filter(action="api_token_created", actor=rep).exists()


def test_an_expiry_in_the_past_is_refused(rep_client, rep):
    answer = rep_client.post("/accounts/profile/", {"name": "x", "expires_on": "2020-01-01"})
    assert answer.status_code == 400 and not ApiToken.objects.exists()


def test_only_the_owner_revokes_on_the_profile_page(rep_client, rep, manager):
    mine, _key = api_token_create(actor=rep, name="mine")
    theirs, _key = api_token_create(actor=manager, name="theirs")
    assert rep_client.post(f"/accounts/profile/tokens/{theirs.pk}/revoke/").status_code == 404
    assert rep_client.post(f"/accounts/profile/tokens/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db(), theirs.refresh_from_db()
    assert mine.revoked_by == rep and theirs.revoked_at is None


def test_an_admin_revokes_anyones_in_the_admin_site(admin_client, admin_user, rep):
    token, _key = api_token_create(actor=rep, name="leaked")
    admin_client.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    token.refresh_from_db()
    assert token.revoked_by == admin_user
    assert AuditEntry.objects.filter(action="api_token_revoked", actor=admin_user, subject_id=str(token.pk)).exists()


def test_the_profile_page_reads_a_fixed_number_of_queries(rep_client, rep, admin_user):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert rep_client.get("/accounts/profile/").status_code == 200
        return len(captured)

    api_token_create(actor=rep, name="first")
    few = queries()
    for n in range(5):
        token, _key = api_token_create(actor=rep, name=f"more {n}")
        if n % 2:
            token.revoked_at, token.revoked_by = token.created_at, admin_user
            token.save()
    assert queries() == few
