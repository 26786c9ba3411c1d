"""Celery entry points of the job pipeline: thin, ids in, idempotent (design.md rules 1-3).

No ``acks_late`` reliance: a task lost with a killed worker or a restarted Redis is re-sent by
:func:`reconcile_jobs`, which beat runs every few seconds (``FLOWDASH_RECONCILE_SECONDS``),
because the row says the work is due. Steps due later are sent by each worker's timer thread
(``flowdash.jobs.worker``) when they fall due; the reconciler only catches what a timer missed.
"""

from __future__ import annotations

import logging

from celery import shared_task

from flowdash.jobs import worker
from flowdash.jobs.nudges import (
    DOWNLOAD_QUEUE,
    DOWNLOAD_TASK,
    RENUDGE_SECONDS,
    STEPS_QUEUE,
    SUBMIT_QUEUE,
    backlog,
    clear_mark,
    first_nudge,
    send_drive,
)

logger = logging.getLogger(__name__)


@shared_task(name="flowdash.jobs.tasks.drive_job", ignore_result=True)
def drive_job(job_id: int) -> None:
    from flowdash.accounts.connection import build_client
    from flowdash.jobs.models import Job
    from flowdash.jobs.pipeline.dispatch import drive_chain

    clear_mark("job", job_id)
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    drive_chain(job, build_client())


@shared_task(name="flowdash.jobs.tasks.download_media", ignore_result=True)
def download_media(media_id: int, fresh: bool = False) -> None:
    """Hand the result to this worker's download threads (they hold it while it waits, and
    claim it when a thread starts on it). ``fresh``: a new result, sent once when stored by a
    process without download threads (the reconciler sends only due ones)."""
    clear_mark("media", media_id)
    worker.downloads.submit([media_id], fresh=bool(fresh))


# --- the reconciler --------------------------------------------------------------------------------


@shared_task(name="flowdash.jobs.tasks.reconcile_jobs", ignore_result=True)
def reconcile_jobs() -> dict[str, int]:
    """Nudge every job whose step is due and that no live task holds, and every due download;
    wake image jobs waiting for a slot when slots are free and nobody is on the way to them.

    A queue with messages still waiting gets nothing more: its backlog may well hold the due
    jobs' messages already (a burst of new jobs can take longer than ``RENUDGE_SECONDS`` to
    get through), and one that was lost is found as soon as the backlog is gone."""
    from flowdash.celery import app
    from flowdash.jobs.downloads import clean_temp_files, due_media_ids
    from flowdash.jobs.pipeline.dispatch import due_job_rows
    from flowdash.jobs.pipeline.slots import wake_waiting_image_jobs

    busy = {q for q in (SUBMIT_QUEUE, STEPS_QUEUE, DOWNLOAD_QUEUE) if backlog(q)}
    jobs = 0
    rows = due_job_rows() if not {SUBMIT_QUEUE, STEPS_QUEUE} <= busy else []
    for job_id, first_submission in rows:
        queue = SUBMIT_QUEUE if first_submission else STEPS_QUEUE
        if queue not in busy and first_nudge("job", job_id):
            send_drive(job_id, queue, expires=RENUDGE_SECONDS * 2)
            jobs += 1
    wake_waiting_image_jobs()
    if first_nudge("temp-clean", 0):  # at most once a RENUDGE_SECONDS, whatever the workers
        clean_temp_files()
    due_media = due_media_ids() if DOWNLOAD_QUEUE not in busy else []
    media = [pk for pk in due_media if first_nudge("media", pk)]
    for media_id in media:
        app.send_task(DOWNLOAD_TASK, args=[media_id], queue=DOWNLOAD_QUEUE, expires=600)
    if jobs or media:
        logger.info("reconciler nudged %d jobs and %d downloads", jobs, len(media))
    return {"jobs": jobs, "downloads": len(media)}
