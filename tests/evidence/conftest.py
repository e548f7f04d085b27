import functools

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory
from visits.models import Visit


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what the block's transaction would do on commit (tests run in a transaction that
    never commits): the photos' re-encoding task, eager as Celery is in tests."""
    return functools.partial(django_capture_on_commit_callbacks, execute=True)


@pytest.fixture
def own_media_root(settings, tmp_path):
    """For tests that look at every stored file: other tests' leftovers (their rows rolled back) are not theirs."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def visit(rep):
    customer = CustomerFactory(owner=rep)
    return Visit.objects.create(customer=customer, author=rep, started_at=timezone.now(), discussion="x")
