from celery import shared_task

from crm.tasks import enqueue

from .services import import_job_check, import_job_run

# Well inside the task time limit (and the broker's redelivery timeout): a long check or import is a chain of
# tasks, each taking up where the last stopped.
TASK_SECONDS = 240


@shared_task
def import_check_task(job_pk: int) -> bool:
    """Check rows for a few minutes, then hand the rest to a fresh task. A second chain takes over from the first."""
    finished = import_job_check(job_pk, seconds=TASK_SECONDS)
    if not finished:
        enqueue(import_check_task, job_pk)  # if the broker is gone, the job page offers to resume
    return finished


@shared_task
def import_run_task(job_pk: int) -> bool:
    """Import rows for a few minutes, then hand the rest to a fresh task. Rows already done are skipped."""
    finished = import_job_run(job_pk, seconds=TASK_SECONDS)
    if not finished:
        enqueue(import_run_task, job_pk)  # if the broker is gone, the job page offers to resume
    return finished
