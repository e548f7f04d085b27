from celery import shared_task

from .models import JobHeartbeat


@shared_task
def heartbeat():
    """Scheduled by beat: proves worker and beat are running."""
    JobHeartbeat.beat("heartbeat")
