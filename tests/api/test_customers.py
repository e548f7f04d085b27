"""Customers, contacts and registration through the API: the pages' answers, the pages' visibility."""

import pytest

from claims.models import Dispute
from crm.models import Contact, Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NEW = {"name": "青岛接口测试机械有限公司", "phones": "0532-86660001", "need": "五轴加工中心"}


def test_registration_answers_as_the_page(rep, other_rep, bearer):
    mine = bearer(rep)
    created = mine.post("/api/v1/customers/register/", NEW, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["outcome"] == "created" and created.json()["customer"]["owner"]["id"] == rep.pk
    again = mine.post("/api/v1/customers/register/", NEW, format="json")
    assert again.status_code == 200 and again.json()["outcome"] == "own"
    collision = bearer(other_rep).post("/api/v1/customers/register/", NEW, format="json")
    assert collision.status_code == 409
    body = collision.json()
    assert collision["Content-Type"] == "application/problem+json"
    assert body["code"] == "collision" and Dispute.objects.filter(pk=body["dispute"], challenger=other_rep).exists()
    assert "0532-86660001" not in collision.content.decode(), "the holder's customer is only named"


def test_registration_needs_phone_and_need_as_the_form(rep, bearer):
    answer = bearer(rep).post("/api/v1/customers/register/", {"name": "青岛缺项机械有限公司"}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"phones", "need"} and answer.json()["code"] == "invalid"
    assert not Customer.objects.exists()


def test_a_pool_customer_is_offered_for_claiming(rep, bearer):
    pooled = CustomerFactory(name="青岛公海机械有限公司", pool_reason="imported")
    answer = bearer(rep).post("/api/v1/customers/register/", {**NEW, "name": pooled.name}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "in_pool"
    assert answer.json()["customer"]["id"] == pooled.pk


def test_another_reps_customer_is_not_found(rep, other_rep, bearer):
    theirs = CustomerFactory(owner=other_rep)
    client = bearer(rep)
    for url in (f"/api/v1/customers/{theirs.pk}/", f"/api/v1/customers/{theirs.pk}/contacts/",
                f"/api/v1/customers/{theirs.pk}/visits/", f"/api/v1/customers/{theirs.pk}/history/"):  # fmt: skip
        answer = client.get(url)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", url
    assert client.patch(f"/api/v1/customers/{theirs.pk}/", {"notes": "x"}, format="json").status_code == 404
    listed = client.get("/api/v1/customers/").json()["results"]
    assert theirs.pk not in [row["id"] for row in listed]


def test_list_filters_as_the_page_and_pages_by_cursor(rep, bearer):
    for n in range(3):
        CustomerFactory(owner=rep, grade="A" if n else "B", name=f"青岛翻页{n}机械有限公司")
    client = bearer(rep)
    first = client.get("/api/v1/customers/", {"grade": "A", "page_size": 1}).json()
    assert len(first["results"]) == 1 and first["next"]
    second = client.get(first["next"]).json()
    assert [row["grade"] for row in first["results"] + second["results"]] == ["A", "A"]
    refused = client.get("/api/v1/customers/", {"in_pool": "perhaps"})
    assert refused.status_code == 400 and "in_pool" in refused.json()["errors"]


def test_edit_and_contacts_go_through_the_services(rep, bearer):
    customer = CustomerFactory(owner=rep)
    client = bearer(rep)
    edited = client.patch(f"/api/v1/customers/{customer.pk}/", {"annual_purchases": 2_000_000}, format="json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["grade"] == "A", "the grade follows the facts, as customer_save says"
    made = client.post(
        f"/api/v1/customers/{customer.pk}/contacts/", {"name": "王总", "buying_role": "decision_maker"}, format="json"
    )
    assert made.status_code == 201, made.content
    card = client.get(f"/api/v1/customers/{customer.pk}/").json()
    assert card["contacts"][0]["buying_role"] == "decision_maker" and card["missing_key_roles"] == ["coach"]
    bad = client.patch(
        f"/api/v1/customers/{customer.pk}/contacts/{made.json()['id']}/", {"email": "not-an-email"}, format="json"
    )
    assert bad.status_code == 400 and "email" in bad.json()["errors"]
    assert client.delete(f"/api/v1/customers/{customer.pk}/contacts/{made.json()['id']}/").status_code == 204
    assert not Contact.objects.exists()


def test_errors_speak_the_callers_language(rep, other_rep, bearer):
    theirs = CustomerFactory(owner=other_rep)
    answer = bearer(rep).get(f"/api/v1/customers/{theirs.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert answer.json()["detail"] != "Not found."
