"""The one paid submission of a job: claim it, choose its account (and image slot), resolve
its references, send the kind's ONE request recorded as a JobAttempt, and say what the answer
means — accepted (followed or stored), surely not sent (queued again within the deadline),
ambiguous (looked for), or final (failed in words)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from flowdash.jobs import capacity
from flowdash.jobs.kinds import KindHandler, Submission, handler_for
from flowdash.jobs.models import Job, JobAttempt, Kind
from flowdash.jobs.pipeline import slots
from flowdash.jobs.pipeline.follow import finish_remote, follow_found
from flowdash.jobs.pipeline.outcomes import (
    PipelineError,
    email_in,
    fail,
    fail_words,
    finish_attempt,
    record_account,
    record_captcha,
    store,
)
from flowdash.jobs.pipeline.recovery import ambiguous
from flowdash.jobs.pipeline.references import choose_account, resolve_refs
from flowdash.jobs.pipeline.timing import (
    MAX_SUBMIT_ATTEMPTS,
    SUBMIT_LEASE_MARGIN,
    budget_words,
    capacity_delay,
    first_check_delay,
    reply_url_for,
    retry_delay,
    seconds_words,
    time_left,
    time_scale,
)
from flowdash.useapi import errors as api_errors

logger = logging.getLogger(__name__)

Status = Job.Status
Outcome = JobAttempt.Outcome


def submit(job: Job, client) -> Job:
    """``queued`` → ``submitting`` → the kind's one paid request (or a wait for an image slot)."""
    handler = handler_for(job.kind)
    if job.kind == Kind.IMAGE and slots.no_slot_before_claim(job):
        return slots.wait_for_slot(job, job.requested_account, expected=Status.QUEUED)
    lease = submit_lease(client, handler)
    if not job.claim(Status.QUEUED, lease, status=Status.SUBMITTING, error_code=""):
        return job
    submission = Submission(job, reply_url=reply_url_for(job), reply_ref=job.webhook_token())
    gated: capacity.Slot | bool | None = None
    try:
        choose_account(job, handler)
        if job.kind == Kind.IMAGE:
            gated = capacity.take_slot(job, slots.fixed_image_account(job))
            if gated is False:
                return slots.wait_for_slot(job, slots.fixed_image_account(job))
            submission.slot = gated or None
        submission.refs = resolve_refs(job, client)
    except api_errors.UseapiError as exc:
        # Uploads of references are free and safe to repeat: retry what is transient.
        if exc.retry_policy == api_errors.NOT_SENT:
            return not_sent(job, exc, action="upload")
        return fail(job, exc)
    except PipelineError as exc:
        return fail_words(job, str(exc))
    finally:
        if gated and job.status != Status.SUBMITTING:
            slots.wake_image_jobs(1)  # the slot taken above was given back
    if submission.slot is None:
        return send(submission, client, handler)
    woken = 1
    try:
        job, woken = send_image(submission, client, handler)
    finally:
        slots.wake_image_jobs(woken)
    return job


def send(submission: Submission, client, handler: KindHandler) -> Job:
    """The kind's one paid request, recorded as a JobAttempt, and what its answer means."""
    job = submission.job
    number = job.submit_attempts + 1
    with transaction.atomic():  # one write (and on SQLite one wait for the lock), not two
        attempt = JobAttempt.objects.record(
            job, "submit", number=number, account_email=job.account_email
        )
        Job.objects.filter(pk=job.pk).update(
            submit_attempts=number, submitted_at=job.submitted_at or timezone.now()
        )
    job.refresh_from_db()
    try:
        answer = handler.submit(submission, client)
    except api_errors.UseapiError as exc:
        return _submit_failed(submission, attempt, exc)
    except Exception as exc:  # a bug or a storage failure after the request may have gone out
        logger.exception("job %s: submission raised", job.pk)
        finish_attempt(attempt, Outcome.UNKNOWN, message=f"{type(exc).__name__}: {exc}"[:500])
        return ambiguous(job, f"flowdash failed while sending the request ({type(exc).__name__}).")
    return _accepted(job, handler, attempt, answer)


def send_image(submission: Submission, client, handler: KindHandler) -> tuple[Job, int]:
    """Send an image job holding a slot; note what the answer says about the account's
    capacity. Returns the job and how many waiting image jobs the ended request frees."""
    slot = submission.slot
    job = send(submission, client, handler)
    if submission.capacity_429:
        running = capacity.running_on([slot.account_id], exclude=job.pk)[slot.account_id] + 1
        capacity.note_throttled(slot.account_id, running, time_scale())
        return job, 0
    if job.status in (Status.COMPLETED, Status.RUNNING):
        return job, 1 + int(capacity.note_success(slot.account_id, slot.sent_with))
    return job, 1


# The client's read timeout that bounds each kind's one request (plus reference uploads).
SUBMIT_TIMEOUT = {
    Kind.IMAGE: "image",
    Kind.IMAGE_UPSCALE: "image",
    Kind.GIF: "gif",
    Kind.CONCATENATE: "concatenate",
    Kind.ASSET_UPLOAD: "upload",
}


def submit_lease(client, handler) -> float:
    """How long a submission may take before the job counts as abandoned: the kind's own read
    timeout (a join may stream for minutes), plus reference uploads, connect and a margin."""
    timeouts = getattr(client, "timeouts", None)
    if timeouts is None:
        return 300.0 + SUBMIT_LEASE_MARGIN
    if handler.is_async:
        read = timeouts.video_async
    else:
        read = getattr(timeouts, SUBMIT_TIMEOUT.get(handler.kind, "concatenate"))
    return timeouts.upload + read + 2 * timeouts.connect + SUBMIT_LEASE_MARGIN


def _accepted(job: Job, handler, attempt: JobAttempt, answer: Any) -> Job:
    remote_id = getattr(answer, "job_id", None) or ""
    email = email_in(answer)
    # What the answer tells, recorded together: one write instead of four.
    with transaction.atomic():
        finish_attempt(
            attempt, Outcome.ACCEPTED, status=201 if handler.is_async else 200, email=email
        )
        record_captcha(job, getattr(answer, "captcha", None))
        record_account(job, email)
        if remote_id:
            Job.objects.filter(pk=job.pk).update(remote_job_id=remote_id)
    job.refresh_from_db()
    if handler.is_async and hasattr(answer, "is_finished"):
        remote_status = getattr(answer, "status", "") or "created"
        if getattr(answer, "is_finished", False):
            return finish_remote(job, handler, answer, Status.SUBMITTING)
        job.release(
            Status.SUBMITTING,
            Status.RUNNING,
            after=first_check_delay(job),
            remote_status=remote_status,
            started_at=timezone.now(),
            check_count=0,
        )
        return job
    return store(job, handler, answer, Status.SUBMITTING)


def _may_have_cost(exc: api_errors.UseapiError) -> bool:
    """Whether a failed submission may have cost something: anything but a request that was
    not processed and reports no captcha solves."""
    return exc.retry_policy != api_errors.NOT_SENT or bool(exc.attempts)


def _submit_failed(submission: Submission, attempt: JobAttempt, exc: api_errors.UseapiError) -> Job:
    job = submission.job
    email = email_in(exc)
    record_captcha(job, exc.captcha)
    if email and exc.retry_policy != api_errors.NOT_SENT:
        # A request turned away (503, a throttle) ran nowhere: the account the load balancer
        # had picked is not the job's, and the next try is balanced (or chosen) afresh.
        record_account(job, email)
    if isinstance(exc, api_errors.RequestValidationError):
        finish_attempt(attempt, Outcome.NOT_DELIVERED, message=str(exc), reached=False)
        return fail(job, exc)
    if exc.retry_policy == api_errors.NOT_SENT:
        delivered = exc.status is not None
        finish_attempt(
            attempt,
            Outcome.REJECTED if delivered else Outcome.NOT_DELIVERED,
            status=exc.status,
            message=str(exc),
            email=email,
            reached=_may_have_cost(exc),
        )
        words = _lasting_limit(job, exc)
        if words:  # retrying today cannot help
            if email:
                record_account(job, email)  # whose quota it was
            return fail(job, exc, words=words)
        if _capacity_limit(job, exc):
            # The account ran past its image slots: its figure drops (capacity.py) and the job
            # looks again for a free slot on any account it may use, not a fixed 5-10 s.
            submission.capacity_429 = True
            return not_sent(job, exc, delay=capacity_delay(job))
        return not_sent(job, exc)
    if exc.retry_policy == api_errors.AMBIGUOUS:
        finish_attempt(attempt, Outcome.UNKNOWN, status=exc.status, message=str(exc))
        if exc.job_id:
            return follow_found(job, exc.job_id, Status.SUBMITTING)
        return ambiguous(job, exc.user_message)
    finish_attempt(attempt, Outcome.REJECTED, status=exc.status, message=str(exc), email=email)
    return fail(job, exc)


def _lasting_limit(job: Job, exc: api_errors.UseapiError) -> str | None:
    """Words for a 429 that no retry today can cure (a daily quota; for image upscales the
    documented "this model cannot be upscaled"), or None for a passing throttle."""
    reason = exc.reason or ""
    if job.kind == Kind.IMAGE_UPSCALE and reason.endswith("DAILY_QUOTA_REACHED_UPGRADEABLE"):
        return (
            "Google says this image cannot be upscaled: only nano-banana-pro images can "
            f"({reason})."
        )
    if "DAILY_QUOTA_REACHED" in reason or reason == "PUBLIC_ERROR_USER_QUOTA_REACHED":
        return (
            f"This account reached its daily quota for this model ({reason}); it resets at "
            "midnight UTC. Try another account or model."
        )
    return None


def _capacity_limit(job: Job, exc: api_errors.UseapiError) -> bool:
    """A 429 that only says the account runs as many images as it takes right now."""
    return (
        job.kind == Kind.IMAGE
        and job.account_id is not None
        and isinstance(exc, api_errors.RateLimited)
        and not exc.retry_after
        and (exc.reason or "") in ("", "PUBLIC_ERROR_USER_REQUESTS_THROTTLED")
    )


def not_sent(
    job: Job, exc: api_errors.UseapiError, action: str = "submit", delay: float | None = None
) -> Job:
    """The request was not processed: back to queued for a later try, within the job's
    deadline; fail in words at the deadline, or past the cap on paid attempts."""
    paid = job.attempts.paid().count()
    if paid >= MAX_SUBMIT_ATTEMPTS:
        return fail(
            job, exc, words=f"{exc.user_message} Gave up after {paid} paid tries, to spend no more."
        )
    left = time_left(job)
    wait_asked = (exc.retry_after or 0.0) / time_scale()
    if left <= 0 or wait_asked > left:
        return fail(job, exc, words=_deadline_words(job, exc, wait_asked > left > 0))
    if delay is None:
        delay = retry_delay(job, exc)
    delay = min(delay, left)  # the last try comes at the deadline, not after it
    job.release(
        Status.SUBMITTING,
        Status.QUEUED,
        after=delay,
        error_status=exc.status,
        error_code=type(exc).__name__,
        error_reason=exc.reason or "",
        error_message=f"{exc.user_message} Trying again in {seconds_words(delay)}.",
    )
    return job


def _deadline_words(job: Job, exc: api_errors.UseapiError, asked_too_long: bool) -> str:
    tries = job.submit_attempts
    counted = f" after {tries} tr{'y' if tries == 1 else 'ies'}" if tries else ""
    if asked_too_long:
        return (
            f"{exc.user_message} The service asks to wait longer than this job's deadline "
            f"({budget_words()}) allows; gave up{counted}. Nothing more is sent for it."
        )
    return (
        f"{exc.user_message} flowdash kept trying for {budget_words()} (the job's deadline) "
        f"and gave up{counted}. Nothing more is sent for it."
    )
