import pytest

from crm.webhooks.models import Endpoint, Event
from crm.webhooks.services import endpoint_create

from .receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def make_endpoint(admin_user):
    def make(url, events=(Event.CUSTOMER_REGISTERED,), name="ERP"):
        return endpoint_create(endpoint=Endpoint(name=name, url=url, events=list(events)), actor=admin_user)

    return make


@pytest.fixture
def endpoint(make_endpoint, receiver):
    """An active endpoint subscribed to every event, posting to the receiver, which knows its secret."""
    made = make_endpoint(receiver.url, events=Event.values)
    receiver.secret = made.secret
    return made
