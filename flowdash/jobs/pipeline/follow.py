"""Following a running job: GET /jobs/{jobId} at scheduled times until it ends, and webhook
callbacks taken as hints that move the next check forward (never as the answer itself)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from flowdash.jobs.kinds import KindHandler, handler_for
from flowdash.jobs.models import Job, JobAttempt
from flowdash.jobs.nudges import nudge
from flowdash.jobs.pipeline.outcomes import (
    email_in,
    fail,
    fail_words,
    record_account,
    record_captcha,
    store,
)
from flowdash.jobs.pipeline.timing import (
    CHECK_LEASE,
    MAX_CHECK_ERRORS,
    hint_grace,
    max_wait_seconds,
    next_check_delay,
    retry_delay,
)
from flowdash.useapi import errors as api_errors

Status = Job.Status
Outcome = JobAttempt.Outcome


def follow_found(job: Job, remote_id: str, expected: str, client=None) -> Job:
    """We know the remote job: follow it with GET /jobs/{jobId} from now on."""
    Job.objects.filter(pk=job.pk).update(remote_job_id=remote_id)
    job.refresh_from_db()
    moved = job.release(
        expected,
        Status.RUNNING,
        after=None if client is not None else 0,  # checked right here, or nudged
        next_check_at=timezone.now(),
        started_at=job.started_at or timezone.now(),
        error_message="",
    )
    if moved and client is not None:
        return check(job, client)
    return job


def check(job: Job, client) -> Job:
    if not job.claim(Status.RUNNING, CHECK_LEASE, check_count=F("check_count") + 1):
        return job
    handler = handler_for(job.kind)
    try:
        record = client.get_job(job.remote_job_id)
    except api_errors.UseapiError as exc:
        return check_failed(job, exc)
    if not job.captcha:
        record_captcha(job, record.captcha)
    record_account(job, email_in(record))
    changes: dict[str, Any] = {}
    if job.remote_status != (record.status or ""):
        changes["remote_status"] = record.status or ""
    if job.error_status is not None or job.error_message:
        changes.update(error_status=None, error_message="")
    if job.check_errors:
        changes["check_errors"] = 0  # MAX_CHECK_ERRORS counts failures in a row
    if changes:
        Job.objects.filter(pk=job.pk).update(**changes)
        for name, value in changes.items():
            setattr(job, name, value)
    if record.is_finished:
        return finish_remote(job, handler, record, Status.RUNNING)
    started = job.started_at or job.submitted_at or job.created_at
    if (timezone.now() - started).total_seconds() > max_wait_seconds(job):
        job.release(
            Status.RUNNING,
            Status.NEEDS_ATTENTION,
            next_check_at=None,
            attention_reason=(
                f"useapi.net still reports the job as {record.status or 'unfinished'} long "
                "after its expected time. Look it up again later (free; useapi.net keeps jobs "
                "7 days) or give up."
            ),
        )
        return job
    job.release(Status.RUNNING, after=next_check_delay(job))
    return job


def check_failed(job: Job, exc: api_errors.UseapiError) -> Job:
    if isinstance(exc, api_errors.JobExpired):
        return fail(job, exc, expected=Status.RUNNING)
    if isinstance(exc, api_errors.InvalidToken):
        from flowdash.accounts.alerts import note_token_rejected

        note_token_rejected()
    Job.objects.filter(pk=job.pk).update(check_errors=F("check_errors") + 1)
    job.refresh_from_db(fields=["check_errors"])
    errors = job.check_errors  # in a row: a check that reads the job sets it back to 0
    JobAttempt.objects.record(
        job,
        "check",
        outcome=Outcome.REJECTED if exc.status else Outcome.NOT_DELIVERED,
        http_status=exc.status,
        message=str(exc)[:2000],
        finished_at=timezone.now(),
    )
    if errors >= MAX_CHECK_ERRORS and exc.retry_policy != api_errors.NOT_SENT:
        job.release(
            Status.RUNNING,
            Status.NEEDS_ATTENTION,
            next_check_at=None,
            attention_reason=f"flowdash could not read the job's status: {exc.user_message}",
        )
        return job
    job.release(
        Status.RUNNING,
        after=max(retry_delay(job, exc), next_check_delay(job)),
        error_message=f"Could not read the job's status ({exc.user_message}); trying again.",
    )
    return job


def finish_remote(job: Job, handler: KindHandler, record, expected: str) -> Job:
    if record.is_completed:
        return store(job, handler, record, expected)
    # failed: Google's or useapi's reason, in words
    code = record.code or 500
    payload = record.payload if isinstance(record.payload, dict) else {}
    exc = api_errors.error_from_response(code, payload)
    if isinstance(exc, api_errors.SessionExpired | api_errors.InvalidToken):
        return fail(job, exc, expected=expected)
    record_captcha(job, record.captcha)
    return fail_words(
        job,
        exc.user_message,
        expected=expected,
        status=code,
        code=type(exc).__name__,
        reason=record.reason or record.error or record.error_details or "",
    )


# --- webhook hints -----------------------------------------------------------------------------


def note_webhook(job: Job, hinted_status: str | None, remote_id: str | None = None) -> bool:
    """A callback arrived for the job. It is only a hint: when it says the job finished, the
    next GET /jobs/{jobId} is moved to now; a job id it names for a job whose submission is
    still being looked for is remembered as a candidate (verified by GET before use).
    Returns True when a check was scheduled."""
    now = timezone.now()
    final = hinted_status in ("completed", "failed")
    # the common case in one write: note the callback and move the check to now
    if final and job.status == Status.RUNNING and _check_now(job, now, last_webhook_at=now):
        nudge(job.pk)
        _shorten_lease(job, now)
        return True
    Job.objects.filter(pk=job.pk).update(last_webhook_at=now)
    if not final and job.status not in (Status.QUEUED, Status.SUBMITTING):
        return False  # progress ("created", "started") of a job we already follow: noted
    job.refresh_from_db()
    moved = 0
    if job.status == Status.SUBMITTING and remote_id and not job.remote_job_id:
        JobAttempt.objects.record(
            job,
            "hint",
            outcome=Outcome.UNKNOWN,
            message=remote_id[:300],
            finished_at=now,
        )
        moved += Job.objects.filter(
            pk=job.pk, status=Status.SUBMITTING, next_check_at__gt=now, lease_until__isnull=True
        ).update(next_check_at=now)
        _shorten_lease(job, now)
    if final:
        moved += _check_now(job, now)
        _shorten_lease(job, now)
    if moved:
        nudge(job.pk)
    return bool(moved)


def _shorten_lease(job: Job, now) -> None:
    """A webhook named the job while a task holds it: when that task died (a killed worker),
    waiting out its whole lease (320 s for a video, 380 s for an image) is for nothing. The
    lease is cut to a short grace, so the reconciler (or the timer armed here) takes the job
    over soon after. Safe: only a job with a recorded submission (the one the callback is
    about) is shortened, the take-over only looks the job up and follows it, never re-sends,
    and every step is still a conditional update — a task still alive loses nothing but its
    claim on a step someone else finishes."""
    until = now + timedelta(seconds=hint_grace())
    held = Job.objects.filter(
        pk=job.pk, status__in=(Status.SUBMITTING, Status.RUNNING), lease_until__gt=until
    )
    if not held.exists() or not job.attempts.filter(action="submit").exists():
        return  # the common case: nobody holds the job (one read, no write)
    if held.update(lease_until=until):
        Job.objects.filter(pk=job.pk, next_check_at__gt=until).update(next_check_at=until)
        nudge(job.pk, countdown=hint_grace())


def _check_now(job: Job, now, **fields) -> int:
    """Move the next GET /jobs/{jobId} of a running job to now (1), unless it is due already."""
    return (
        Job.objects.filter(pk=job.pk, status=Status.RUNNING)
        .exclude(remote_job_id="")
        .filter(Q(next_check_at__isnull=True) | Q(next_check_at__gt=now))
        .update(next_check_at=now, **fields)
    )
