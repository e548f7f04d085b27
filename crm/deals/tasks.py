from celery import shared_task

from crm.celery import retried_on_outage

from .services import purchases_age_out


@shared_task(**retried_on_outage())
def purchases_age_out_task():
    """Beat, just after local midnight: purchases older than 12 months leave the customers' annual purchases."""
    return purchases_age_out()
