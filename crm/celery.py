import os
import smtplib
from pathlib import Path

from celery import Celery
from django.conf import settings
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The database restarting or failing over, a lock or statement timeout, the broker going away.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerOperationalError)
# For the jobs that send email: the mail server refusing or out of reach.
MAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


def retried_on_outage(*also: type[Exception]) -> dict:
    """Task options for a scheduled job: retried on failures that pass by themselves, never on bugs.

    Up to 8 retries, each after a pause drawn at random below 5 s, 10 s, 20 s … 30 min (the jitter keeps
    retries from arriving together): about twenty minutes of outage are ridden out, where a daily job
    that gave up would wait a day. The jobs are idempotent, so a retry after a partial run completes it.
    """
    return {
        "autoretry_for": TRANSIENT_ERRORS + also,
        "retry_backoff": 5,
        "retry_backoff_max": 30 * 60,
        "retry_jitter": True,
        "max_retries": 8,
    }


@app.on_after_configure.connect
def make_celery_folders(sender, **kwargs):
    """Beat's schedule file and the folder transport (no REDIS_URL) need their folders."""
    folders = [Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent]
    options = sender.conf.broker_transport_options or {}
    folders += [
        Path(options[key]) for key in ("data_folder_in", "processed_folder", "control_folder") if key in options
    ]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
