"""A delivery through a real Celery worker on Redis: emitted at commit, failed once, retried after its backoff
by the worker, taken once by the receiver."""

import pytest

from crm.celery import app as celery_app
from crm.webhooks.models import Delivery, DeliveryState, Endpoint, Event
from crm.webhooks.services import emit
from tests.crm.test_celery_worker import start_worker, stop, wait_for

from .receiver import Receiver


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_retries_and_delivers_once(tmp_path, monkeypatch, admin_user):
    monkeypatch.setenv("WEBHOOKS_RETRY_BASE_SECONDS", "1")  # the worker's backoff: a second, not a minute
    with Receiver(answers=[503, 200]) as receiver:
        endpoint = Endpoint.objects.create(
            name="ERP", url=receiver.url, events=[Event.COMPLAINT_OPENED], created_by=admin_user
        )
        receiver.secret = endpoint.secret
        process = start_worker(tmp_path, broker="redis", with_beat=False)
        previous = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = False
        try:
            (delivery,) = emit(Event.COMPLAINT_OPENED, {"complaint": {"id": 1}})  # autocommit: sent at once
            delivered = wait_for(
                lambda: Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.DELIVERED).exists(), timeout=90
            )
        finally:
            celery_app.conf.task_always_eager = previous
            log = stop(process, tmp_path)
    assert delivered, log[-3000:]
    assert [post["signed"] for post in receiver.posts] == [True, True]
    assert receiver.accepted == {str(delivery.id): 1}
    assert list(Delivery.objects.get(pk=delivery.pk).log.values_list("status_code", flat=True)) == [503, 200]
