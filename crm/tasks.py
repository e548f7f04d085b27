"""The crm app's tasks, and how the web hands work to the worker without hanging on the broker."""

import logging

from celery import shared_task
from kombu.exceptions import OperationalError as BrokerOperationalError

from .celery import app
from .models import JobHeartbeat

logger = logging.getLogger(__name__)

BROKER_ERRORS = (BrokerOperationalError, OSError)


def enqueue(task, *args) -> bool:
    """Send `task` to the worker; False, within seconds, when the broker is out of reach.

    The view then says the background worker is unavailable. Call it once the rows the task reads
    are committed. The web never waits for a task's result, so none is stored: that also keeps the
    result store, which retries for long, out of the request.
    """
    try:
        task.apply_async(args=args, ignore_result=True)
    except BROKER_ERRORS as error:
        logger.warning("could not enqueue %s: the broker is out of reach (%s)", task.name, error)
        return False
    return True


def broker_reachable() -> bool:
    """Whether the broker accepts a connection now (one attempt, within the connect timeout)."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0)
    except BROKER_ERRORS:
        return False
    return True


@shared_task
def heartbeat():
    """Scheduled by beat: proves worker and beat are running."""
    JobHeartbeat.beat("heartbeat")
