"""``drive(job, client)``: one step of a job, chosen by its status — submit a queued job,
recover a submission in doubt, follow a running one. Also which jobs are due (the reconciler)."""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, close_old_connections
from django.dispatch import Signal

from flowdash.jobs.models import ACTIVE, Job, Kind
from flowdash.jobs.nudges import nudge
from flowdash.jobs.pipeline import slots
from flowdash.jobs.pipeline.follow import check
from flowdash.jobs.pipeline.recovery import recover
from flowdash.jobs.pipeline.submit import submit
from flowdash.jobs.pipeline.timing import STEP_ERROR_DELAY, at

logger = logging.getLogger(__name__)

Status = Job.Status
# Seconds a worker keeps trying to release a broken step's lease while the database is away.
LET_GO_PATIENCE = 30.0
# Seconds a worker thread goes on driving, one after another, the image jobs its own ended
# requests woke (then it hands the next one over by message, like any other).
CHAIN_SECONDS = 60.0

# Sent (sender: Job, job=...) after each step a worker drove, a chain's included: other apps
# act on a step's end without the pipeline knowing them (a batch makes its next rows).
step_ended = Signal()


def drive_chain(job: Job, client) -> Job:
    """``drive(job)``, then, while an image request that ended here woke a waiting image job,
    drive that job on this same thread: its slot is taken a message and a task start sooner
    (bench/batch.py: a slot otherwise sat idle for ~0.2 s median, ~1 s p90, between two
    images). Jobs woken beyond the first, and everything after ``CHAIN_SECONDS``, are nudged
    as usual; a job due for another reason (a person's new image) is never taken here, so a
    batch's chain does not starve it: the wake-up counts it as already on its way to a slot."""
    give_up = time.monotonic() + CHAIN_SECONDS
    with slots.chaining():
        job = drive(job, client)
        _step_ended(job)
        while (pk := slots.kept_job()) is not None:
            nxt = Job.objects.filter(pk=pk, kind=Kind.IMAGE).first()
            if nxt is None:
                continue
            if time.monotonic() > give_up:
                nudge(nxt.pk)
                break
            _step_ended(drive(nxt, client))
    return job


def _step_ended(job: Job) -> None:
    """Tell the listeners a step ended; one that breaks costs its own work, not the chain."""
    for receiver, answer in step_ended.send_robust(sender=Job, job=job):
        if isinstance(answer, Exception):
            logger.error("after job %s's step, %r failed", job.pk, receiver, exc_info=answer)


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
        _let_go(job)
        raise


def _let_go(job: Job) -> None:
    """A step broke: let the next one come soon instead of after the lease (the row still says
    what to do; a submission in doubt is looked up, never sent again). When the database is
    what broke (a restart cut the connection, say, just as a paid request was answered), keep
    trying for a while: this worker is alive, and otherwise the job would wait out its whole
    lease (five minutes for a video)."""
    give_up = time.monotonic() + LET_GO_PATIENCE
    pause = 0.2
    while True:
        try:
            Job.objects.filter(pk=job.pk, status__in=ACTIVE).update(
                lease_until=None, next_check_at=at(STEP_ERROR_DELAY)
            )
            return
        except DatabaseError:
            close_old_connections()  # a broken connection is dropped; the next query reconnects
            if time.monotonic() + pause > give_up:
                logger.warning("job %s: could not release its lease; it waits it out", job.pk)
                return
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


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
