from celery import shared_task

from .models import JobHeartbeat


@shared_task
def heartbeat():
    """Scheduled by beat: proves worker and beat are running."""
    JobHeartbeat.beat("heartbeat")


# Celery finds tasks in each app's tasks module; the complaints module's tasks are registered from here.
from .complaints.tasks import complaint_deadline_task  # noqa: E402, F401
