"""Recovery of a submission that may have reached the service (a timeout after sending, a
worker that died mid-request): the job is looked for by its ``replyRef`` among the jobs
useapi.net lists, followed when found, and left to a person (needs attention) when not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from flowdash.jobs.models import Job, JobAttempt
from flowdash.jobs.pipeline.follow import follow_found
from flowdash.jobs.pipeline.outcomes import finish_attempt
from flowdash.jobs.pipeline.timing import CHECK_LEASE, LOOKUP_DELAYS, time_left, time_scale
from flowdash.useapi import errors as api_errors

Status = Job.Status
Outcome = JobAttempt.Outcome


def ambiguous(job: Job, why: str) -> Job:
    """The request may have reached the service: look for it before anything else."""
    job.release(
        Status.SUBMITTING,
        after=LOOKUP_DELAYS[0] / time_scale(),
        error_message=f"{why} Looking for the job on useapi.net…",
    )
    return job


def recover(job: Job, client) -> Job:
    """A job left in ``submitting`` (ambiguous answer, or a worker died mid-request)."""
    if not job.claim(Status.SUBMITTING, CHECK_LEASE):
        return job
    last = job.attempts.filter(action="submit").order_by("-number").first()
    if last is None:
        # Died before the paid request was recorded: nothing was sent.
        job.release(Status.SUBMITTING, Status.QUEUED, after=0)
        return job
    if last.outcome == Outcome.SENT:
        finish_attempt(
            last, Outcome.UNKNOWN, message="The worker stopped while waiting for the answer."
        )
    if last.outcome in (Outcome.NOT_DELIVERED, Outcome.REJECTED):
        # A crash after a refusal was recorded: the state was not saved; retry safely.
        job.release(Status.SUBMITTING, Status.QUEUED, after=0)
        return job
    if job.remote_job_id:
        return follow_found(job, job.remote_job_id, Status.SUBMITTING, client=client)
    all_lookups = job.attempts.filter(action="lookup").count()
    # this round's lookups that read the list (one that could not read it tells nothing):
    # since the job was created, or since a person's last decision
    lookups = job.attempts.filter(
        action="lookup",
        outcome=Outcome.UNKNOWN,
        started_at__gte=job.deadline_from or job.created_at,
    ).count()
    unread = False
    try:
        found = find_remote_job(job, client)
    except api_errors.UseapiError as exc:
        found, unread = None, True
        lookups -= 1  # unread: look again later, as long as the deadline allows
        _lookup_attempt(job, Outcome.REJECTED, str(exc))
    else:
        _lookup_attempt(
            job,
            Outcome.ACCEPTED if found else Outcome.UNKNOWN,
            f"found {found}" if found else "not listed",
        )
    if found:
        return follow_found(job, found, Status.SUBMITTING, client=client)
    if lookups + 1 < len(LOOKUP_DELAYS):
        delay = LOOKUP_DELAYS[max(lookups + 1, 1)] / time_scale()
        if delay < time_left(job):  # keep looking by itself, within the job's deadline
            job.release(Status.SUBMITTING, after=delay)
            return job
    when = timezone.now().strftime("%H:%M:%S")
    job.release(
        Status.SUBMITTING,
        Status.NEEDS_ATTENTION,
        next_check_at=None,
        # the lookup ended: its "Looking for the job…" words go with it
        error_message=f"Looked for the job {all_lookups + 1} times; the last lookup, at {when} "
        "UTC, did not find it.",
        attention_reason=(
            "The request was sent but no answer came back, and "
            + (
                "useapi.net could not be read to look for it"
                if unread
                else "useapi.net does not list the job"
            )
            + f" (looked up {all_lookups + 1} times, the last at {when} UTC). It may or may not "
            "have started (and been charged). Look it up again (free), submit it again only if "
            "you accept that it may run twice, or give up."
        ),
    )
    return job


def _lookup_attempt(job: Job, outcome: str, message: str) -> None:
    JobAttempt.objects.record(
        job, "lookup", outcome=outcome, message=message[:2000], finished_at=timezone.now()
    )


def find_remote_job(job: Job, client) -> str | None:
    """Search the jobs useapi lists (executing, and the 10 most recent of the last 15 minutes)
    for ours, by the ``replyRef`` we sent with it. None when it is not there."""
    token = job.webhook_token()
    for hint in job.attempts.filter(action="hint").order_by("-number")[:5]:
        try:
            record = client.get_job(hint.message)
        except api_errors.UseapiError:
            continue
        if record.reply_ref == token:
            return record.job_id or hint.message
    stats = client.get_jobs("history")
    section = stats.images if job.kind in ("image", "image_upscale") else stats.videos
    since = (job.submitted_at or job.created_at) - timedelta(minutes=2)
    candidates: list[tuple[str, Any]] = []
    for job_id, entry in list(section.executing.items()) + list(section.history.items()):
        when = getattr(entry, "started", None) or getattr(entry, "finished", None)
        if when is not None and when < since:
            continue
        candidates.append((job_id, entry))
    for job_id, _entry in candidates[:20]:
        try:
            record = client.get_job(job_id)
        except api_errors.UseapiError:
            continue
        if record.reply_ref == token:
            return record.job_id or job_id
    return None
