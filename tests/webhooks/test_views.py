"""The admins' webhooks pages: registering, switching off and on, a new secret, the delivery log."""

import pytest
from django.urls import reverse

from accounts.models import AuditAction, AuditEntry
from crm.webhooks.models import Attempt, Delivery, DeliveryState, DisabledReason, Endpoint, Event

pytestmark = pytest.mark.django_db


def test_an_admin_registers_an_endpoint_and_is_shown_its_secret(admin_client, admin_user):
    response = admin_client.post(
        reverse("webhooks:list"),
        {"name": "企业微信机器人", "url": "https://qyapi.example.com/hook", "events": ["complaint.opened", "deal.won"]},
    )
    endpoint = Endpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("webhooks:detail", args=[endpoint.pk])
    assert endpoint.events == ["complaint.opened", "deal.won"] and endpoint.created_by == admin_user
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    page = admin_client.get(response["Location"])
    assert endpoint.secret in page.text
    entry = AuditEntry.objects.get(action=AuditAction.WEBHOOK)
    assert entry.actor == admin_user and entry.detail["change"] == "created"
    assert endpoint.secret not in entry.summary + str(entry.detail)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://erp.example.com/hook", True),
        ("ftp://erp.example.com/hook", True),
        ("javascript:alert(1)", True),
        ("http://127.0.0.1:9000/hook", False),  # this machine: the tests' setting allows it
        ("erp.example.com/hook", False),  # taken as https://
    ],
)
def test_the_address_must_be_https(admin_client, url, refused):
    response = admin_client.post(reverse("webhooks:list"), {"name": "ERP", "url": url, "events": ["deal.won"]})
    assert (response.status_code == 400) == refused
    assert Endpoint.objects.exists() != refused


def test_plain_http_to_this_machine_needs_the_setting(admin_client, settings):
    settings.WEBHOOKS_ALLOW_HTTP_LOCAL = False
    response = admin_client.post(
        reverse("webhooks:list"), {"name": "ERP", "url": "http://127.0.0.1:9000/hook", "events": ["deal.won"]}
    )
    assert response.status_code == 400 and "https://" in response.text


def test_an_endpoint_needs_an_event(admin_client):
    response = admin_client.post(reverse("webhooks:list"), {"name": "ERP", "url": "https://erp.example.com/"})
    assert response.status_code == 400 and not Endpoint.objects.exists()


@pytest.fixture
def endpoint(admin_user):
    return Endpoint.objects.create(
        name="ERP", url="https://erp.example.com/hook", events=[Event.CUSTOMER_REGISTERED], created_by=admin_user
    )


def test_disable_cancels_what_was_pending_and_enable_starts_again(admin_client, endpoint, admin_user):
    pending = Delivery.objects.create(endpoint=endpoint, event=Event.CUSTOMER_REGISTERED, body="{}")
    Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=3)
    response = admin_client.post(reverse("webhooks:disable", args=[endpoint.pk]))
    assert response.status_code == 302
    endpoint.refresh_from_db()
    pending.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == DisabledReason.ADMIN
    assert pending.state == DeliveryState.CANCELLED
    admin_client.post(reverse("webhooks:enable", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 0 and not endpoint.disabled_reason
    changes = list(
        AuditEntry.objects.filter(action=AuditAction.WEBHOOK).order_by("pk").values_list("detail__change", "actor")
    )
    assert changes == [("disabled", admin_user.pk), ("enabled", admin_user.pk)]


def test_a_new_secret_replaces_the_old(admin_client, endpoint):
    old = endpoint.secret
    admin_client.post(reverse("webhooks:rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_only_admins_reach_the_pages(client, endpoint, role, rep, manager):
    client.force_login({"rep": rep, "manager": manager}[role])
    for name, args in (("webhooks:list", []), ("webhooks:detail", [endpoint.pk])):
        assert client.get(reverse(name, args=args)).status_code == 403
    for name in ("webhooks:disable", "webhooks:rotate"):
        assert client.post(reverse(name, args=[endpoint.pk])).status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.is_active and not AuditEntry.objects.filter(action=AuditAction.WEBHOOK).exists()


def add_deliveries(endpoint, count):
    for number in range(count):
        delivery = Delivery.objects.create(
            endpoint=endpoint, event=Event.CUSTOMER_REGISTERED, body="{}", state=DeliveryState.FAILED, attempts=2
        )
        Attempt.objects.create(delivery=delivery, number=1, status_code=500, response="<b>down</b>", duration_ms=12)
        Attempt.objects.create(delivery=delivery, number=2, error=f"TimeoutError: timed out {number}", duration_ms=5000)


def test_the_delivery_log_shows_each_attempt(admin_client, endpoint):
    add_deliveries(endpoint, 2)
    page = admin_client.get(reverse("webhooks:detail", args=[endpoint.pk])).text
    assert page.count('data-testid="attempt"') == 4
    assert "TimeoutError: timed out 1" in page and "&lt;b&gt;down&lt;/b&gt;" in page


@pytest.mark.parametrize("page", ["webhooks:list", "webhooks:detail"])
def test_the_pages_queries_do_not_grow_with_deliveries(admin_client, endpoint, page, django_assert_num_queries):
    url = reverse(page, args=[endpoint.pk] if page == "webhooks:detail" else [])
    add_deliveries(endpoint, 2)
    admin_client.get(url)  # warm the caches (content types, the session)
    with django_assert_num_queries(10 if page == "webhooks:detail" else 7) as small:
        admin_client.get(url)
    add_deliveries(endpoint, 20)
    Endpoint.objects.create(
        name="chat", url="https://chat.example.com/", events=["deal.won"], created_by=endpoint.created_by
    )
    with django_assert_num_queries(len(small.captured_queries)):
        admin_client.get(url)


@pytest.mark.parametrize("query", ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_the_admin_site_finds_a_delivery_by_its_id(admin_client, endpoint, query):
    add_deliveries(endpoint, 1)
    delivery = Delivery.objects.get()
    response = admin_client.get(reverse("admin:webhooks_delivery_changelist"), {"q": query or str(delivery.id)})
    assert response.status_code == 200
    assert (str(delivery.id) in response.text) == (query == "")
    page = admin_client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    assert page.status_code == 200 and endpoint.secret not in page.text
    page = admin_client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    assert "#1 · " in page.text and "TimeoutError: timed out 0" in page.text
