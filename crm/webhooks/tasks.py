from celery import shared_task

from crm.celery import retried_on_outage
from crm.models import JobHeartbeat

from .delivery import delivery_attempt, stalled_deliveries


@shared_task(bind=True, max_retries=None, ignore_result=True)
def deliver_task(self, delivery_id: str):
    """One attempt at a delivery; a failure with attempts left comes back after its backoff. Idempotent: a
    delivered, given-up or cancelled delivery sends nothing."""
    retry_in = delivery_attempt(delivery_id)
    if retry_in is not None:
        # Not raised: an eager run (tests, CELERY_TASK_ALWAYS_EAGER) then runs the retry at once instead of failing.
        return self.retry(countdown=retry_in, throw=False)
    return None


@shared_task(**retried_on_outage())
def webhook_retry_sweep_task():
    """Beat, every few minutes: hand out again the deliveries whose task was lost. Idempotent."""
    stalled = stalled_deliveries()
    for delivery_id in stalled:
        deliver_task.apply_async(args=[delivery_id], ignore_result=True)
    JobHeartbeat.beat("webhook_retries")
    return len(stalled)
