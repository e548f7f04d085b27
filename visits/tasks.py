from celery import shared_task

from crm.models import JobHeartbeat

from .digest import send_daily_digests
from .sweep import escalate_overdue, followup_sweep


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def followup_sweep_task(self):
    """Beat, each morning: create the due reminders, then escalate the long-overdue ones.

    Both steps are idempotent, so retries and double runs are harmless.
    """
    created = followup_sweep()
    created["escalations"] = sum(escalate_overdue().values())
    JobHeartbeat.beat("followup_sweep")
    return created


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def daily_digest_task(self):
    """Beat, after the sweep: one email per person with follow-ups due. A retry sends only the unsent."""
    sent = send_daily_digests()
    JobHeartbeat.beat("daily_digest")
    return sent
