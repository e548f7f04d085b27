from celery import shared_task

from crm.models import JobHeartbeat

from .services import complaint_deadline_alerts


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def complaint_deadline_task(self):
    """Beat, every few minutes: alert on complaints past their response deadline. Idempotent."""
    alerted = complaint_deadline_alerts()
    JobHeartbeat.beat("complaint_deadlines")
    return alerted
