from celery import shared_task

from crm.celery import retried_on_outage
from crm.models import JobHeartbeat

from .sweep import ownership_sweep


@shared_task(**retried_on_outage())
def ownership_sweep_task():
    """Beat, each night before the follow-up sweep: warn, then lapse. Idempotent."""
    result = ownership_sweep()
    JobHeartbeat.beat("ownership_sweep")
    return result


# Celery finds tasks in each app's tasks module; the board's weekly digest is registered from here.
from .board.tasks import weekly_digest_task  # noqa: E402, F401
