"""Creating jobs and nudging the pipeline. Views call these; nothing here talks to the API.

The row is the truth: a job is saved first, then a Celery message nudges the driver after the
transaction commits. If the message is lost, the reconciler (beat) finds the job anyway.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from flowdash.jobs.models import Job

DRIVE_TASK = "flowdash.jobs.tasks.drive_job"


def nudge(job_id: int, *, countdown: float | None = None) -> None:
    """Ask a worker to advance the job now (or after ``countdown`` seconds)."""
    from flowdash.celery import app

    def send() -> None:
        try:
            app.send_task(DRIVE_TASK, args=[job_id], countdown=countdown)
        except Exception:  # noqa: BLE001 — the broker is down; the reconciler will drive it
            import logging

            logging.getLogger(__name__).warning(
                "could not enqueue job %s; the reconciler will", job_id
            )

    transaction.on_commit(send)


def create_job(
    kind: str,
    params: dict[str, Any],
    *,
    user=None,
    requested_account=None,
    source_media=None,
    retry_of: Job | None = None,
) -> Job:
    """Save a queued job with its full request and nudge the pipeline."""
    with transaction.atomic():
        job = Job(
            kind=kind,
            params=params,
            requested_by=user,
            requested_account=requested_account,
            source_media=source_media,
            retry_of=retry_of,
        )
        job.set_webhook_token_hash()
        job.save()
        nudge(job.pk)
    return job


def cancel(job: Job) -> bool:
    """Cancel a job that has not been sent to the API yet. False when it already has."""
    return job.move(
        Job.Status.QUEUED, Job.Status.CANCELLED, error_message="Cancelled before it was sent."
    )
