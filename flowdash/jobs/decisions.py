"""People's decisions about a job: on one that needs attention, look it up again (free),
submit it again (a second paid request, through the one budget check) or give up; on a
finished one, retry as a new job."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from flowdash.jobs.models import Job, JobAttempt

Status = Job.Status
Outcome = JobAttempt.Outcome


def look_again(job: Job, user) -> bool:
    """ "Look it up again" on a job that needs attention: free — it re-runs the lookups (GET
    /jobs/{jobId} when the remote id is known, else the ``replyRef`` search of GET /jobs) and
    sends no generation. False when the job no longer needs a decision, or when it has nothing
    to look for (no submission that may have reached the service)."""
    who = getattr(user, "username", "someone")
    now = timezone.now()
    if job.remote_job_id:
        return job.release(
            Status.NEEDS_ATTENTION,
            Status.RUNNING,
            after=0,
            check_errors=0,
            started_at=now,  # its expected time counts again from now
            error_message=f"Looked up again by {who}.",
        )
    last = job.attempts.filter(action="submit").order_by("-number").first()
    if last is None or last.outcome not in (Outcome.UNKNOWN, Outcome.SENT):
        return False
    return job.release(
        Status.NEEDS_ATTENTION,
        Status.SUBMITTING,
        after=0,
        deadline_from=now,  # one more round of lookups, within a fresh budget
        error_message=f"Looked up again by {who}.",
    )


def resubmit(job: Job, user) -> bool:
    """ "Submit again" on a job that needs attention: the person accepts it may run twice.

    A second paid request: it goes through the ONE budget check (flowdash.spending; raises
    ``OverBudget`` with the refusal in words, nothing changed) and, in the same transaction,
    its price is added to the job's recorded charge."""
    from flowdash.spending import budget
    from flowdash.spending.models import JobCharge
    from flowdash.spending.pricing import price

    quote = price(job.kind, job.params or {}, job.account or job.requested_account)
    with transaction.atomic():
        budget.lock(user)
        budget.check(user, quote.credits)
        moved = job.release(
            Status.NEEDS_ATTENTION,
            Status.QUEUED,
            after=0,
            remote_job_id="",
            remote_status="",
            attention_reason="",
            deadline_from=timezone.now(),  # a fresh time budget for the new submission
            error_message=f"Submitted again by {getattr(user, 'username', 'someone')}.",
        )
        if moved and quote.credits:
            JobCharge.objects.filter(job=job, credits__isnull=False).update(
                credits=F("credits") + quote.credits
            )
    return moved


def give_up(job: Job, user) -> bool:
    """ "Give up" on a job that needs attention: it fails, its record kept."""
    return job.move(
        Status.NEEDS_ATTENTION,
        Status.FAILED,
        next_check_at=None,
        lease_until=None,
        error_message=(
            f"Given up by {getattr(user, 'username', 'someone')}: {job.attention_reason}"
        ).strip(),
    )


def retry(job: Job, user) -> Job:
    """A new job with the same request (``retry_of`` points back), priced and recorded by
    flowdash.spending's ``create_priced_job`` (the ONE budget check: raises ``OverBudget``
    with the refusal in words, nothing made)."""
    from flowdash.spending.services import create_priced_job

    return create_priced_job(
        job.kind,
        dict(job.params or {}),
        user=user,
        requested_account=job.requested_account,
        source_media=job.source_media,
        retry_of=job,
    )
