"""The import's tasks, on the `imports` queue (settings.CELERY_TASK_ROUTES) so that the daily jobs never wait for one.

A long check or import is a chain of tasks, each working for TASK_SECONDS and handing over to a fresh one;
a task still running at its soft time limit is interrupted: the check fails with the reason, the import rejects
the row it was stuck on and carries on. A task the broker hands back after its worker stopped starts only if
the job still waits for it (the services check the job's state and count attempts that made no progress).
"""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from crm.tasks import enqueue

from .services import import_job_check, import_job_overdue, import_job_run

TASK_SECONDS = settings.IMPORT_TASK_SECONDS
LIMITS = {"soft_time_limit": settings.IMPORT_SOFT_TIME_LIMIT, "time_limit": settings.IMPORT_SOFT_TIME_LIMIT + 30}


@shared_task(**LIMITS)
def import_check_task(job_pk: int) -> bool:
    """Check rows for a few minutes, then hand the rest to a fresh task. A second chain takes over from the first."""
    try:
        finished = import_job_check(job_pk, seconds=TASK_SECONDS)
    except SoftTimeLimitExceeded:
        import_job_overdue(job_pk)
        return True
    if not finished:
        enqueue(import_check_task, job_pk)  # if the broker is gone, the job page offers to resume
    return finished


@shared_task(**LIMITS)
def import_run_task(job_pk: int) -> bool:
    """Import rows for a few minutes, then hand the rest to a fresh task. Rows already done are skipped."""
    try:
        finished = import_job_run(job_pk, seconds=TASK_SECONDS)
    except SoftTimeLimitExceeded:
        import_job_overdue(job_pk)  # the row it was stuck on is rejected; the next task carries on after it
        finished = False
    if not finished:
        enqueue(import_run_task, job_pk)  # if the broker is gone, the job page offers to resume
    return finished
