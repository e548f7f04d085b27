import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def make_celery_folders(sender, **kwargs):
    """Beat's schedule file and the folder transport (no REDIS_URL) need their folders."""
    from django.conf import settings

    folders = [Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent]
    options = sender.conf.broker_transport_options or {}
    folders += [
        Path(options[key]) for key in ("data_folder_in", "processed_folder", "control_folder") if key in options
    ]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
