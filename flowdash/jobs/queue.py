"""Creating jobs (and cancelling one not sent yet). Views call these; nothing here talks to
the API.

The row is the truth: a job is saved first, then a Celery message nudges the driver after the
transaction commits (``flowdash.jobs.nudges``). If the message is lost, the reconciler (beat)
finds the job anyway.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from flowdash.jobs.models import Job
from flowdash.jobs.nudges import SUBMIT_QUEUE, nudge
from flowdash.jobs.pipeline.slots import parked_fields


def create_job(
    kind: str,
    params: dict[str, Any],
    *,
    user=None,
    requested_account=None,
    source_media=None,
    retry_of: Job | None = None,
    priority: int = 1,
    parked: bool = False,
) -> Job:
    """Save a queued job with its full request and nudge the pipeline. ``priority`` 0 for a
    batch's rows (they give way to people's own jobs for image slots). ``parked``: an image
    job made while every slot is taken is saved already waiting for one, not nudged (a
    worker would only find the slots full and park it): an ended request wakes it, or its
    fallback wait ends and the reconciler sends it."""
    with transaction.atomic():
        job = Job(
            kind=kind,
            params=params,
            requested_by=user,
            requested_account=requested_account,
            source_media=source_media,
            retry_of=retry_of,
            priority=priority,
            **(parked_fields() if parked and kind == Job.Kind.IMAGE else {}),
        )
        job.set_webhook_token_hash()
        job.save()
        if job.next_check_at is None:
            nudge(job.pk, queue=SUBMIT_QUEUE)
    return job


def cancel(job: Job) -> bool:
    """Cancel a job that has not been sent to the API yet. False when it already has."""
    return job.move(
        Job.Status.QUEUED, Job.Status.CANCELLED, error_message="Cancelled before it was sent."
    )
