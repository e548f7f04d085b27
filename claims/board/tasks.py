from celery import shared_task

from crm.celery import MAIL_ERRORS, retried_on_outage
from crm.models import JobHeartbeat

from .digest import send_weekly_digests


@shared_task(**retried_on_outage(*MAIL_ERRORS))
def weekly_digest_task():
    """Beat, Monday morning: each manager's and admin's board digest PDF by email. A retry sends only the unsent."""
    sent = send_weekly_digests()
    JobHeartbeat.beat("weekly_digest")
    return sent
