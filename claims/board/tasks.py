from celery import shared_task

from crm.celery import MAIL_ERRORS, retried_on_outage
from crm.models import JobHeartbeat

from . import figures
from .digest import send_weekly_digests


@shared_task(**retried_on_outage(*MAIL_ERRORS))
def weekly_digest_task():
    """Beat, Monday morning: each manager's and admin's board digest PDF by email. A retry sends only the unsent."""
    sent = send_weekly_digests()
    JobHeartbeat.beat("weekly_digest")
    return sent


@shared_task(**retried_on_outage())
def board_figures_task():
    """Beat, every few minutes: bring the board's per-rep figures up to date, so a manager's view seldom has to."""
    written = figures.refresh_due()
    JobHeartbeat.beat("board_figures")
    return written
