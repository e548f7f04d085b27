from celery import shared_task

from crm.models import JobHeartbeat

from .digest import send_weekly_digests


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def weekly_digest_task(self):
    """Beat, Monday morning: each manager's and admin's board digest PDF by email. A retry sends only the unsent."""
    sent = send_weekly_digests()
    JobHeartbeat.beat("weekly_digest")
    return sent
