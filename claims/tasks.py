from celery import shared_task

from crm.celery import retried_on_outage
from crm.models import JobHeartbeat

from .stranded import stranded_customers_report
from .sweep import ownership_sweep


@shared_task(**retried_on_outage())
def ownership_sweep_task():
    """Beat, each night before the follow-up sweep: warn, then lapse. Idempotent."""
    result = ownership_sweep()
    JobHeartbeat.beat("ownership_sweep")
    return result


@shared_task(**retried_on_outage())
def stranded_customers_task():
    """Beat, each night: tell the admins of customers still held by someone who left. Idempotent."""
    told = stranded_customers_report()
    JobHeartbeat.beat("stranded_customers")
    return told
