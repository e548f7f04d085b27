from celery import shared_task

from crm.celery import retried_on_outage
from crm.models import JobHeartbeat

from .processing import attachment_process, attachments_process_pending
from .sweep import evidence_sweep


@shared_task(**retried_on_outage())
def attachment_process_task(attachment_id):
    """Enqueued when an upload's transaction commits: re-encode the photo. Idempotent."""
    attachment_process(attachment_id=attachment_id)


@shared_task(**retried_on_outage())
def evidence_pending_task():
    """Beat, every few minutes: photos whose task was lost (the broker was down at upload) are processed."""
    return attachments_process_pending()


@shared_task(**retried_on_outage())
def evidence_sweep_task():
    """Beat, nightly: remove stored files nothing refers to any more. Idempotent."""
    removed = evidence_sweep()
    JobHeartbeat.beat("evidence_sweep")
    return removed
