"""Image slots as the pipeline uses them (the figures are ``flowdash.jobs.capacity``): a job
that finds every account it may use full waits ``queued`` and is woken when a request ends."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.utils import timezone

from flowdash.jobs import capacity
from flowdash.jobs.models import Job, due_q
from flowdash.jobs.nudges import nudge
from flowdash.jobs.pipeline.references import reference_list
from flowdash.jobs.pipeline.timing import at, time_scale

Status = Job.Status

# A thread driving image jobs in a chain (``chaining``) keeps one job it wakes to drive next
# itself, instead of sending it a message and waiting for another worker thread to start it.
_chain = threading.local()


@contextmanager
def chaining():
    """While inside, the first waiting image job this thread wakes is kept for it (see
    :func:`kept_job`), not nudged. A kept job is due and unheld in the database, so should
    this thread die before driving it, the reconciler finds it like any other due job."""
    _chain.active, _chain.kept = True, None
    try:
        yield
    finally:
        left = _chain.kept  # kept, then not driven (a step raised): send it as usual
        _chain.active, _chain.kept = False, None
        if left is not None:
            nudge(left)


def kept_job() -> int | None:
    """The id of the waiting image job this chain woke for itself, once (None if none)."""
    pk, _chain.kept = getattr(_chain, "kept", None), None
    return pk


def fixed_image_account(job: Job):
    """The account an image job must run on (asked for, or where its references are), else
    None: any account with a free slot will do."""
    if job.requested_account_id or reference_list(job):
        return job.account
    return None


def no_slot_before_claim(job: Job) -> bool:
    """Whether a new image job can already tell, with reads only, that every account it may
    use is full: a burst of new image jobs then waits with one write each instead of a claim,
    a slot transaction and a release. A job woken for a free slot (or due for a retry) goes
    straight to its claim; so do jobs with references (their account is chosen while
    claimed)."""
    if job.next_check_at is not None or reference_list(job):
        return False
    return not capacity.has_room(job, job.requested_account)


def parked_fields(delay: float | None = None) -> dict:
    """A queued image job's fields while it waits for a slot: woken by an ended request, else
    due again after ``delay`` (the fallback wait) for a look of its own."""
    if delay is None:
        delay = capacity.WAIT_FALLBACK / time_scale()
    return {
        "next_check_at": at(delay),
        "error_status": None,
        "error_code": capacity.SLOT_WAIT,
        "error_reason": "",
        "error_message": "Waiting for a free image slot: the accounts are generating as many "
        "images as they take.",
    }


def wait_for_slot(job: Job, fixed=None, expected: str = Status.SUBMITTING) -> Job:
    """Every account the job may use is generating as many images as it takes: wait, queued,
    for one to end (it wakes the oldest waiting job); a slow timer covers a lost wake-up.

    ``expected`` is ``submitting`` for a job we claimed, or ``queued`` for one that found no
    room before its claim (it is then moved only while still due and unheld)."""
    delay = capacity.WAIT_FALLBACK / time_scale()
    waiting = parked_fields(delay)
    if expected == Status.QUEUED:
        now = timezone.now()
        parked = (
            Job.objects.filter(pk=job.pk, status=Status.QUEUED)
            .filter(due_q(now))
            .update(updated_at=now, **waiting)
        )
        if not parked:
            job.refresh_from_db()
            return job
    elif not job.release(Status.SUBMITTING, Status.QUEUED, **waiting):
        return job
    # A request that ended between our count and now found nobody waiting: look once more.
    if capacity.has_room(job, fixed):
        Job.objects.filter(pk=job.pk, status=Status.QUEUED).update(next_check_at=timezone.now())
        nudge(job.pk)
    else:
        nudge(job.pk, countdown=delay)
    job.refresh_from_db()
    return job


def wake_image_jobs(count: int) -> None:
    """An image request ended: make as many of the oldest waiting image jobs due now as there
    are free slots (at least ``count``), less the image jobs already due (woken by another
    request that ended at the same moment, or new ones on their way): they will take those
    slots. Waking one too many costs a look at the counts; one too few would leave a slot idle
    until the fallback timer."""
    free = capacity.free_by_account()
    count = max(count, sum(free.values())) - capacity.due_image_jobs()
    if count <= 0:
        return
    now = timezone.now()
    woken = 0
    open_accounts = [pk for pk, n in free.items() if n > 0] if free else None
    for pk in list(capacity.waiting_jobs(count * 3, open_accounts)):
        if Job.objects.filter(pk=pk, status=Status.QUEUED, next_check_at__gt=now).update(
            next_check_at=now
        ):
            if getattr(_chain, "active", False) and _chain.kept is None:
                _chain.kept = pk  # this thread drives it next (after commit: it is autocommit)
            else:
                nudge(pk)
            woken += 1
            if woken >= count:
                return


def wake_waiting_image_jobs() -> None:
    """The reconciler's look at the image slots: waiting jobs are woken when slots are free and
    not enough jobs are due to take them (a wake-up was lost with a worker)."""
    wake_image_jobs(0)
