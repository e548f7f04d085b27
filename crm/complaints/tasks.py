from celery import shared_task

from crm.celery import retried_on_outage
from crm.models import JobHeartbeat

from .services import complaint_deadline_alerts


@shared_task(**retried_on_outage())
def complaint_deadline_task():
    """Beat, every few minutes: alert on complaints past their response deadline. Idempotent."""
    alerted = complaint_deadline_alerts()
    JobHeartbeat.beat("complaint_deadlines")
    return alerted
