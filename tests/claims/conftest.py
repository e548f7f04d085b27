import pytest

from claims.models import OwnershipPolicy
from claims.services import customer_register
from crm.models import Customer


@pytest.fixture
def policy(db):
    return OwnershipPolicy.current()


@pytest.fixture
def register():
    """register(rep, name, phones=..., **fields) -> Registration, the way the registration form calls it."""

    def run(actor, name, *, phones="0532-88886666", need="五轴加工中心", confirmed_new=False, **fields):
        customer = Customer(name=name, phones=phones, need=need, **fields)
        return customer_register(customer=customer, actor=actor, confirmed_new=confirmed_new)

    return run
