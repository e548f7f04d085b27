"""The visit form never hides an error: the fold holding one opens, a summary at the top links to each."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def url(rep):
    return reverse("visits:visit_create", args=[CustomerFactory(owner=rep).pk])


def post(client, url, **fields):
    started = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    return client.post(url, {"method": "phone", "started_at": started, "discussion": "电话沟通", **fields})


def test_the_fold_opens_when_one_of_its_fields_has_an_error(rep_client, url):
    page = post(rep_client, url, objection_text="价格太高").content.decode()  # no objection kind
    assert '<details class="mb-3" id="more-details" open>' in page
    assert 'role="alert"' in page and "data-error-summary" in page
    assert 'href="#id_objection_kind"' in page
    assert "价格太高" in page  # nothing typed is lost


def test_the_fold_stays_closed_without_an_error_in_it(rep_client, url):
    page = post(rep_client, url, next_step="送样件").content.decode()  # the next step's date is missing
    assert '<details class="mb-3" id="more-details">' in page
    assert 'href="#id_next_step_due"' in page
    assert rep_client.get(url).content.decode().count("data-error-summary") == 0
