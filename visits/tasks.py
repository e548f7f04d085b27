from celery import shared_task

from crm.models import JobHeartbeat

from .sweep import followup_sweep


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def followup_sweep_task(self):
    """Beat, each morning: create the due reminders. Idempotent, so retries and double runs are harmless."""
    created = followup_sweep()
    JobHeartbeat.beat("followup_sweep")
    return created
