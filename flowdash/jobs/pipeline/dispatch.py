"""``drive(job, client)``: one step of a job, chosen by its status — submit a queued job,
recover a submission in doubt, follow a running one. Also which jobs are due (the reconciler)."""

from __future__ import annotations

from flowdash.jobs.models import ACTIVE, Job
from flowdash.jobs.pipeline.follow import check
from flowdash.jobs.pipeline.recovery import recover
from flowdash.jobs.pipeline.submit import submit
from flowdash.jobs.pipeline.timing import STEP_ERROR_DELAY, at

Status = Job.Status


def drive(job: Job, client) -> Job:
    """Advance ``job`` by one step when it is due. Returns the job as it now is."""
    job.refresh_from_db()
    if job.status not in ACTIVE:
        return job
    if client is None:
        # No token configured: nothing can be sent; wait for one (the reconciler retries).
        Job.objects.filter(pk=job.pk, status__in=ACTIVE).update(
            next_check_at=at(60), error_message="Waiting for an API token (Settings page)."
        )
        job.refresh_from_db()
        return job
    try:
        return _step(job, client)
    except Exception:
        # Let the next step come soon instead of after the lease: the row still says what to do.
        Job.objects.filter(pk=job.pk, status__in=ACTIVE).update(
            lease_until=None, next_check_at=at(STEP_ERROR_DELAY)
        )
        raise


def _step(job: Job, client) -> Job:
    if job.status == Status.QUEUED:
        return submit(job, client)
    if job.status == Status.SUBMITTING:
        return recover(job, client)
    if not job.remote_job_id:
        job.move(
            Status.RUNNING,
            Status.NEEDS_ATTENTION,
            attention_reason="The job runs without a remote job id to follow.",
        )
        return job
    return check(job, client)


def due_job_rows(limit: int = 500) -> list[tuple[int, bool]]:
    """``(id, first submission?)`` of the due jobs, the longest overdue first."""
    rows = (
        Job.objects.due()
        .order_by("next_check_at")
        .values_list("pk", "status", "submit_attempts")[:limit]
    )
    return [(pk, status == Status.QUEUED and not tries) for pk, status, tries in rows]
