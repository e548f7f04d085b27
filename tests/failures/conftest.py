import shutil

import kombu.pools
import pytest

from crm.celery import app as celery_app
from tests.conftest import missing_service

from .servers import PrivateCluster, PrivateRedis, postgres_bindir


@pytest.fixture
def private_redis():
    if not shutil.which("redis-server"):
        missing_service("needs redis-server on PATH")
    server = PrivateRedis()
    server.start()
    yield server
    server.kill()


def _forget_connections():
    """Close and drop the pooled broker connections and the result store, so the next use connects anew."""
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)


@pytest.fixture
def celery_on_private_redis(private_redis):
    """This process's Celery app sends through the private Redis, for real (not eagerly)."""
    keys = ("broker_url", "result_backend", "task_always_eager")
    saved = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(broker_url=private_redis.url, result_backend=private_redis.url, task_always_eager=False)
    _forget_connections()
    yield private_redis
    celery_app.conf.update(saved)
    _forget_connections()


@pytest.fixture
def private_cluster():
    bindir = postgres_bindir()
    if bindir is None:
        missing_service("needs the PostgreSQL server binaries (initdb, pg_ctl)")
    cluster = PrivateCluster(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
