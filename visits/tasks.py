from celery import shared_task

from crm.celery import MAIL_ERRORS, retried_on_outage
from crm.models import JobHeartbeat

from .digest import send_daily_digests
from .sweep import escalate_overdue, followup_sweep


@shared_task(**retried_on_outage())
def followup_sweep_task():
    """Beat, each morning: create the due reminders, then escalate the long-overdue ones.

    Both steps are idempotent, so retries and double runs are harmless; the sweep is one
    transaction, so a worker killed half-way leaves nothing behind and the next run does it all.
    """
    created = followup_sweep()
    created["escalations"] = sum(escalate_overdue().values())
    JobHeartbeat.beat("followup_sweep")
    return created


@shared_task(**retried_on_outage(*MAIL_ERRORS))
def daily_digest_task():
    """Beat, after the sweep: one email per person with follow-ups due. A retry sends only the unsent."""
    sent = send_daily_digests()
    JobHeartbeat.beat("daily_digest")
    return sent
