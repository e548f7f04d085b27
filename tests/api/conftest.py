import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from accounts.services import api_token_create
from tests.factories import TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    """The rate limit counts per token id in the `api` cache; SQLite hands a rolled-back test's ids out again, so
    a token could start with the counts of an earlier test's token in this process."""
    caches["api"].clear()
    yield


@pytest.fixture
def bearer():
    """bearer(user, read_only=False) -> an APIClient sending a new token of `user`."""

    def make(user, read_only=False):
        _token, key = api_token_create(actor=user, name="tests", read_only=read_only)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    return make


@pytest.fixture
def other_rep(db):
    return UserFactory(role="rep", team=TeamFactory(name="B"))
