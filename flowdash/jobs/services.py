"""The job pipeline: API ⇄ database for every kind of job (design.md "Jobs: the rules").

``drive(job, client)`` advances a job by one step and returns; it is safe to call any number of
times, from any number of workers, at any moment:

* every step starts with a *claim* — a conditional update of the row (expected status, due,
  no live lease) that sets ``lease_until``; a worker that loses the claim does nothing;
* ``queued`` → ``submitting``: the kind's ONE paid request, recorded as a :class:`JobAttempt`
  whose outcome is written as soon as it is known (sent → accepted / not delivered / rejected /
  unknown);
* a request that provably did not reach the service (connection refused, 429, 503) goes back to
  ``queued`` with ``next_check_at`` in 5-10 s, growing with jitter and honouring ``Retry-After``;
* an ambiguous one (timeout after sending, a crash while ``submitting``) is looked up: the job's
  ``replyRef`` (always sent) is searched among the jobs GET /jobs?options=history lists; when it
  cannot be found the job goes to ``needs_attention`` and a person decides;
* async kinds are followed by GET /jobs/{jobId} at scheduled times (first check near the
  model's documented generation time, then growing intervals; a slow fallback when webhooks are
  on); a webhook only moves the next check forward.

Nothing here sleeps: the next step is a time in ``next_check_at``. A step due now is nudged at
once (a Celery message); a later one arms a timer that a worker's timer thread turns into a
message when it falls due; the reconciler (beat) re-nudges anything whose message or timer was
lost (see :func:`schedule`).

Image requests are synchronous and each account takes only so many at once: a job is sent only
to an account with a free image slot (``capacity.py``), else it waits queued and is woken when
a slot frees.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from flowdash.jobs import capacity, eligibility
from flowdash.jobs.kinds import handler_for
from flowdash.jobs.models import ACTIVE, Job, JobAttempt, Kind, due_q
from flowdash.useapi import catalog
from flowdash.useapi import errors as api_errors

logger = logging.getLogger(__name__)

Status = Job.Status
Outcome = JobAttempt.Outcome

# --- tunables (seconds; "nominal" ones are divided by the time scale) ---------------------------

# Paid submissions (attempts that may have reached the service) a job may make. Attempts that
# surely did not (no connection; 429 / 503 turned away before any captcha) do not count: an
# outage is waited out within the job's deadline (FLOWDASH_JOB_DEADLINE_MINUTES), not counted.
MAX_SUBMIT_ATTEMPTS = 6
RETRY_BASE = (5.0, 10.0)  # nominal: first retry of a 429 / 503 / refused connection
RETRY_GROWTH = 1.7
RETRY_CAP = 120.0  # nominal
SUBMIT_LEASE_MARGIN = 60.0  # beyond the client's read timeout
CHECK_LEASE = 90.0  # a GET /jobs/{jobId} in flight
# nominal: searches for a job whose submission is ambiguous (about 10 minutes in all, cut short
# by the job's deadline) before a person is asked.
LOOKUP_DELAYS = (5.0, 20.0, 45.0, 90.0, 180.0, 300.0)
CHECK_GROWTH = 1.5
CHECK_FIRST_STEP = 8.0  # nominal: interval after the first check that found the job unfinished
CHECK_CAP = 60.0  # nominal
WEBHOOK_CHECK_CAP = 300.0  # nominal: polling as a slow fallback when webhooks are on
CAPACITY_RETRY = 1.0  # nominal: an image job throttled by its account's capacity tries again
STEP_ERROR_DELAY = 3.0  # after an unexpected error (e.g. a locked SQLite database)
# Failed GET /jobs/{jobId} in a row (``Job.check_errors``) before a person is asked; errors
# that surely did not reach the service (no connection, 429, 503) are waited out instead.
MAX_CHECK_ERRORS = 8


class PipelineError(Exception):
    """A step that cannot go on, with words for people (the job fails with them)."""


def time_scale() -> float:
    """How much faster than documented the service runs: 1 for useapi.net; the simulator's
    speed in sandbox mode (``FLOWDASH_JOB_TIME_SCALE`` overrides, e.g. for tests)."""
    import os

    value = getattr(settings, "FLOWDASH_JOB_TIME_SCALE", None) or os.environ.get(
        "FLOWDASH_JOB_TIME_SCALE"
    )
    if value:
        return max(float(value), 0.001)
    from flowdash.accounts.connection import current_connection

    try:
        if current_connection().sandbox:
            return max(float(settings.FLOWDASH_SIM_SPEED), 0.001)
    except Exception:  # noqa: BLE001 — no database yet: documented times
        return 1.0
    return 1.0


def deadline_seconds() -> float:
    """A job's time budget (real seconds): ``FLOWDASH_JOB_DEADLINE_MINUTES`` (default 30),
    nominal, so divided by the time scale like every other wait."""
    minutes = float(getattr(settings, "FLOWDASH_JOB_DEADLINE_MINUTES", 30) or 30)
    return minutes * 60.0 / time_scale()


def deadline_of(job: Job):
    """When the job stops waiting out outages (and stops looking for an ambiguous submission
    by itself): its creation, or a person's "submit again", plus the budget."""
    return (job.deadline_from or job.created_at) + timedelta(seconds=deadline_seconds())


def time_left(job: Job) -> float:
    return (deadline_of(job) - timezone.now()).total_seconds()


def _budget_words() -> str:
    minutes = float(getattr(settings, "FLOWDASH_JOB_DEADLINE_MINUTES", 30) or 30)
    return f"{minutes:g} minute{'s' if minutes != 1 else ''}"


def webhooks_enabled() -> bool:
    return bool(getattr(settings, "PUBLIC_URL", ""))


def reply_url_for(job: Job) -> str | None:
    if not webhooks_enabled():
        return None
    return f"{settings.PUBLIC_URL}/hooks/useapi/{job.uuid}/{job.webhook_token()}/"


# --- claims ------------------------------------------------------------------------------------


def schedule(job: Job, delay: float) -> None:
    """Nudge a worker now when the next step is due now, else arm the job's timer: a worker's
    timer thread sends the message when the step falls due (``queue.TimerThread``). The
    reconciler (beat) re-sends any due job whose message or timer was lost.

    No countdown (ETA) messages on purpose: a worker holds those unacknowledged in memory, so
    they die with a killed worker, and with the Redis transport a broker restart while the
    worker holds any makes kombu's restore of unacked messages crash the worker
    (``'NoneType' object has no attribute 'hostname'``). A timer is only an entry in a Redis
    sorted set until it falls due.
    """
    from flowdash.jobs.queue import nudge

    nudge(job.pk, countdown=delay if delay > 0 else None)


def _at(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


# --- driving -----------------------------------------------------------------------------------


def drive(job: Job, client) -> Job:
    """Advance ``job`` by one step when it is due. Returns the job as it now is."""
    job.refresh_from_db()
    if job.status not in ACTIVE:
        return job
    if client is None:
        # No token configured: nothing can be sent; wait for one (the reconciler retries).
        Job.objects.filter(pk=job.pk, status__in=ACTIVE).update(
            next_check_at=_at(60), error_message="Waiting for an API token (Settings page)."
        )
        job.refresh_from_db()
        return job
    try:
        return _step(job, client)
    except Exception:
        # Let the next step come soon instead of after the lease: the row still says what to do.
        Job.objects.filter(pk=job.pk, status__in=ACTIVE).update(
            lease_until=None, next_check_at=_at(STEP_ERROR_DELAY)
        )
        raise


def _step(job: Job, client) -> Job:
    if job.status == Status.QUEUED:
        return _submit(job, client)
    if job.status == Status.SUBMITTING:
        return _recover(job, client)
    if not job.remote_job_id:
        job.move(
            Status.RUNNING,
            Status.NEEDS_ATTENTION,
            attention_reason="The job runs without a remote job id to follow.",
        )
        return job
    return _check(job, client)


# --- submitting --------------------------------------------------------------------------------


def _submit(job: Job, client) -> Job:
    handler = handler_for(job.kind)
    if job.kind == Kind.IMAGE and _no_slot_before_claim(job):
        return _wait_for_slot(job, job.requested_account, expected=Status.QUEUED)
    lease = _submit_lease(client, handler)
    if not job.claim(Status.QUEUED, lease, status=Status.SUBMITTING, error_code=""):
        return job
    gated = None
    try:
        _choose_account(job, handler)
        if job.kind == Kind.IMAGE:
            gated = capacity.take_slot(job, _fixed_image_account(job))
            if gated is False:
                return _wait_for_slot(job, _fixed_image_account(job))
        job.resolved_refs = resolve_refs(job, client)
    except api_errors.UseapiError as exc:
        # Uploads of references are free and safe to repeat: retry what is transient.
        return _not_sent(job, exc, action="upload") if _transient(exc) else _fail(job, exc)
    except PipelineError as exc:
        return _fail_words(job, str(exc))
    finally:
        if gated is True and job.status != Status.SUBMITTING:
            _wake_image_jobs(1)  # the slot taken above was given back
    if gated is None:
        return _send(job, client, handler)
    woken = 1
    try:
        job, woken = _send_image(job, client, handler)
    finally:
        _wake_image_jobs(woken)
    return job


def _send(job: Job, client, handler) -> Job:
    """The kind's one paid request, recorded as a JobAttempt, and what its answer means."""
    number = job.submit_attempts + 1
    with transaction.atomic():  # one write (and on SQLite one wait for the lock), not two
        attempt = JobAttempt.objects.record(
            job, "submit", number=number, account_email=job.account_email
        )
        Job.objects.filter(pk=job.pk).update(
            submit_attempts=number, submitted_at=job.submitted_at or timezone.now()
        )
    job.refresh_from_db()
    job.resolved_refs = getattr(job, "resolved_refs", {})
    try:
        answer = handler.submit(
            job, client, reply_url=reply_url_for(job), reply_ref=job.webhook_token()
        )
    except api_errors.UseapiError as exc:
        return _submit_failed(job, attempt, exc)
    except Exception as exc:  # a bug or a storage failure after the request may have gone out
        logger.exception("job %s: submission raised", job.pk)
        _finish_attempt(attempt, Outcome.UNKNOWN, message=f"{type(exc).__name__}: {exc}"[:500])
        return _ambiguous(job, f"flowdash failed while sending the request ({type(exc).__name__}).")
    return _accepted(job, handler, attempt, answer)


def _fixed_image_account(job: Job):
    """The account an image job must run on (asked for, or where its references are), else
    None: any account with a free slot will do."""
    if job.requested_account_id or reference_list(job):
        return job.account
    return None


def _send_image(job: Job, client, handler) -> tuple[Job, int]:
    """Send an image job holding a slot; note what the answer says about the account's
    capacity. Returns the job and how many waiting image jobs the ended request frees."""
    account_id = job.account_id
    sent_with = job.sent_with  # set by capacity.take_slot
    job.capacity_429 = False
    job = _send(job, client, handler)
    if getattr(job, "capacity_429", False):
        running = capacity.running_on([account_id], exclude=job.pk)[account_id] + 1
        capacity.note_throttled(account_id, running, time_scale())
        return job, 0
    if job.status in (Status.COMPLETED, Status.RUNNING):
        return job, 1 + int(capacity.note_success(account_id, sent_with))
    return job, 1


def _no_slot_before_claim(job: Job) -> bool:
    """Whether a new image job can already tell, with reads only, that every account it may
    use is full: a burst of new image jobs then waits with one write each instead of a claim,
    a slot transaction and a release. A job woken for a free slot (or due for a retry) goes
    straight to its claim; so do jobs with references (their account is chosen while
    claimed)."""
    if job.next_check_at is not None or reference_list(job):
        return False
    return not capacity.has_room(job, job.requested_account)


def _wait_for_slot(job: Job, fixed=None, expected: str = Status.SUBMITTING) -> Job:
    """Every account the job may use is generating as many images as it takes: wait, queued,
    for one to end (it wakes the oldest waiting job); a slow timer covers a lost wake-up.

    ``expected`` is ``submitting`` for a job we claimed, or ``queued`` for one that found no
    room before its claim (it is then moved only while still due and unheld)."""
    delay = capacity.WAIT_FALLBACK / time_scale()
    waiting = {
        "next_check_at": _at(delay),
        "error_status": None,
        "error_code": capacity.SLOT_WAIT,
        "error_reason": "",
        "error_message": "Waiting for a free image slot: the accounts are generating as many "
        "images as they take.",
    }
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
        schedule(job, 0)
    else:
        schedule(job, delay)
    job.refresh_from_db()
    return job


def _wake_image_jobs(count: int) -> None:
    """An image request ended: make as many of the oldest waiting image jobs due now as there
    are free slots (at least ``count``), less the image jobs already due (woken by another
    request that ended at the same moment, or new ones on their way): they will take those
    slots. Waking one too many costs a look at the counts; one too few would leave a slot idle
    until the fallback timer."""
    from flowdash.jobs.queue import nudge

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
            nudge(pk)
            woken += 1
            if woken >= count:
                return


def wake_waiting_image_jobs() -> None:
    """The reconciler's look at the image slots: waiting jobs are woken when slots are free and
    not enough jobs are due to take them (a wake-up was lost with a worker)."""
    _wake_image_jobs(0)


# The client's read timeout that bounds each kind's one request (plus reference uploads).
SUBMIT_TIMEOUT = {
    Kind.IMAGE: "image",
    Kind.IMAGE_UPSCALE: "image",
    Kind.GIF: "gif",
    Kind.CONCATENATE: "concatenate",
    Kind.ASSET_UPLOAD: "upload",
}


def _submit_lease(client, handler) -> float:
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


def _finish_attempt(
    attempt: JobAttempt, outcome: str, *, status=None, message="", email="", reached=True
):
    JobAttempt.objects.filter(pk=attempt.pk).update(
        outcome=outcome,
        http_status=status,
        message=message[:2000],
        account_email=email or attempt.account_email,
        finished_at=timezone.now(),
        may_have_reached_service=reached,
    )


def _accepted(job: Job, handler, attempt: JobAttempt, answer: Any) -> Job:
    remote_id = getattr(answer, "job_id", None) or ""
    email = _email_in(answer)
    # What the answer tells, recorded together: one write instead of four.
    with transaction.atomic():
        _finish_attempt(
            attempt, Outcome.ACCEPTED, status=201 if handler.is_async else 200, email=email
        )
        _record_captcha(job, getattr(answer, "captcha", None))
        _record_account(job, email)
        if remote_id:
            Job.objects.filter(pk=job.pk).update(remote_job_id=remote_id)
    job.refresh_from_db()
    if handler.is_async and hasattr(answer, "is_finished"):
        remote_status = getattr(answer, "status", "") or "created"
        if getattr(answer, "is_finished", False):
            return _finish_remote(job, handler, answer, Status.SUBMITTING)
        job.release(
            Status.SUBMITTING,
            Status.RUNNING,
            after=first_check_delay(job),
            remote_status=remote_status,
            started_at=timezone.now(),
            check_count=0,
        )
        return job
    return _store(job, handler, answer, Status.SUBMITTING)


def _store(job: Job, handler, answer: Any, expected: str) -> Job:
    """Record the results and complete the job, all or nothing."""
    items = getattr(answer, "media", None)
    if items is not None and items and all(getattr(i, "failed", False) for i in items):
        first = items[0]
        return _fail_words(
            job,
            "Google could not produce this result"
            + (f" ({first.error})" if first.error else "")
            + "; retrying or changing the prompt may help.",
            expected=expected,
            reason=first.error or "",
        )
    try:
        return _store_atomically(job, handler, answer, expected)
    except api_errors.UseapiError as exc:  # the handler found the answer unusable
        return _fail(job, exc, expected=expected)


def _store_atomically(job: Job, handler, answer: Any, expected: str) -> Job:
    # The conditional update comes first: it is the claim (someone else may have stored the
    # results already) and, on SQLite, it makes the transaction a writer from its first
    # statement, so it waits for the lock instead of failing to upgrade a read.
    with transaction.atomic():
        now = timezone.now()
        won = Job.objects.filter(pk=job.pk, status=expected).update(
            status=Status.COMPLETED,
            remote_status="completed",
            finished_at=now,
            updated_at=now,
            lease_until=None,
            next_check_at=None,
            error_message="",
        )
        if not won:
            job.refresh_from_db()
            return job
        locked = Job.objects.get(pk=job.pk)
        locked.resolved_refs = getattr(job, "resolved_refs", {})
        made = handler.store_results(locked, answer)
        media_ids = [m.pk for m in made if m.download_status == m.Download.PENDING]
        transaction.on_commit(lambda: _nudge_downloads(media_ids))
    job.refresh_from_db()
    return job


def _nudge_downloads(media_ids: Iterable[int]) -> None:
    from flowdash.celery import app
    from flowdash.jobs.queue import DOWNLOAD_QUEUE, DOWNLOAD_TASK

    for media_id in media_ids:
        try:
            app.send_task(DOWNLOAD_TASK, args=[media_id], queue=DOWNLOAD_QUEUE)
        except Exception:  # noqa: BLE001 — the reconciler downloads it anyway
            logger.warning("could not enqueue the download of media %s", media_id)


def _transient(exc: api_errors.UseapiError) -> bool:
    """Did the request surely not get processed (so it may be sent again)?"""
    return exc.retry_policy == api_errors.NOT_SENT


def _may_have_cost(exc: api_errors.UseapiError) -> bool:
    """Whether a failed submission may have cost something: anything but a request that was
    not processed and reports no captcha solves."""
    return not _transient(exc) or bool(exc.attempts)


def _submit_failed(job: Job, attempt: JobAttempt, exc: api_errors.UseapiError) -> Job:
    email = _email_in(exc)
    _record_captcha(job, exc.captcha)
    if email and exc.retry_policy != api_errors.NOT_SENT:
        # A request turned away (503, a throttle) ran nowhere: the account the load balancer
        # had picked is not the job's, and the next try is balanced (or chosen) afresh.
        _record_account(job, email)
    if isinstance(exc, api_errors.RequestValidationError):
        _finish_attempt(attempt, Outcome.NOT_DELIVERED, message=str(exc), reached=False)
        return _fail(job, exc)
    if exc.retry_policy == api_errors.NOT_SENT:
        delivered = exc.status is not None
        _finish_attempt(
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
                _record_account(job, email)  # whose quota it was
            return _fail(job, exc, words=words)
        if _capacity_limit(job, exc):
            # The account ran past its image slots: its figure drops (capacity.py) and the job
            # looks again for a free slot on any account it may use, not a fixed 5-10 s.
            job.capacity_429 = True
            return _not_sent(job, exc, delay=_capacity_delay(job))
        return _not_sent(job, exc)
    if exc.retry_policy == api_errors.AMBIGUOUS:
        _finish_attempt(attempt, Outcome.UNKNOWN, status=exc.status, message=str(exc))
        if exc.job_id:
            return _follow_found(job, exc.job_id, Status.SUBMITTING)
        return _ambiguous(job, exc.user_message)
    _finish_attempt(attempt, Outcome.REJECTED, status=exc.status, message=str(exc), email=email)
    return _fail(job, exc)


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


def _capacity_delay(job: Job) -> float:
    """After a capacity 429: soon (the account's figure dropped, so the next try takes a free
    slot or waits for one), but doubling with each try so a busy account is not hammered."""
    tries = max(job.submit_attempts, 1)
    nominal = min(CAPACITY_RETRY * 2 ** min(tries - 1, 16), RETRY_CAP)
    return nominal * random.uniform(0.8, 1.2) / time_scale()


def retry_delay(job: Job, exc: api_errors.UseapiError | None) -> float:
    tries = max(job.submit_attempts, 1)
    base = random.uniform(*RETRY_BASE) * (RETRY_GROWTH ** (tries - 1))
    delay = min(base, RETRY_CAP)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        delay = max(delay, float(retry_after) + random.uniform(0, 2))
    return delay / time_scale()  # the sandbox's simulated time runs faster


def _not_sent(
    job: Job, exc: api_errors.UseapiError, action: str = "submit", delay: float | None = None
) -> Job:
    """The request was not processed: back to queued for a later try, within the job's
    deadline; fail in words at the deadline, or past the cap on paid attempts."""
    paid = job.attempts.paid().count()
    if paid >= MAX_SUBMIT_ATTEMPTS:
        return _fail(
            job, exc, words=f"{exc.user_message} Gave up after {paid} paid tries, to spend no more."
        )
    left = time_left(job)
    wait_asked = (exc.retry_after or 0.0) / time_scale()
    if left <= 0 or wait_asked > left:
        return _fail(job, exc, words=_deadline_words(job, exc, wait_asked > left > 0))
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
        error_message=f"{exc.user_message} Trying again in {_seconds_words(delay)}.",
    )
    return job


def _seconds_words(seconds: float) -> str:
    if seconds < 90:
        return f"{max(round(seconds), 1)} s"
    return f"{round(seconds / 60)} min"


def _deadline_words(job: Job, exc: api_errors.UseapiError, asked_too_long: bool) -> str:
    tries = job.submit_attempts
    counted = f" after {tries} tr{'y' if tries == 1 else 'ies'}" if tries else ""
    if asked_too_long:
        return (
            f"{exc.user_message} The service asks to wait longer than this job's deadline "
            f"({_budget_words()}) allows; gave up{counted}. Nothing more is sent for it."
        )
    return (
        f"{exc.user_message} flowdash kept trying for {_budget_words()} (the job's deadline) "
        f"and gave up{counted}. Nothing more is sent for it."
    )


# --- failures in words -------------------------------------------------------------------------


def explain(exc: api_errors.UseapiError) -> str:
    """Our words for people about an API error."""
    if isinstance(exc, api_errors.CaptchaRejected):
        count = len(exc.attempts)
        noun = "attempt" if count == 1 else "attempts"
        return (
            f"Google rejected the captcha ({count} {noun}); try again later or review the "
            "captcha providers on the Accounts page."
        )
    if isinstance(exc, api_errors.InvalidToken):
        return "The useapi.net API token was refused (401); an admin must check it on Settings."
    return exc.user_message


def _fail(job: Job, exc: api_errors.UseapiError, words: str | None = None, expected=None) -> Job:
    if isinstance(exc, api_errors.SessionExpired):
        _session_expired(job, exc)
    elif isinstance(exc, api_errors.InvalidToken):
        from flowdash.accounts.alerts import note_token_rejected

        note_token_rejected()
    return _fail_words(
        job,
        words or explain(exc),
        expected=expected,
        status=exc.status,
        code=type(exc).__name__,
        reason=exc.reason or exc.api_message or "",
    )


def _fail_words(
    job: Job, words: str, *, expected=None, status=None, code: str = "", reason: str = ""
) -> Job:
    job.move(
        expected or (Status.QUEUED, Status.SUBMITTING, Status.RUNNING),
        Status.FAILED,
        lease_until=None,
        next_check_at=None,
        error_status=status,
        error_code=code[:60],
        error_reason=reason[:2000],
        error_message=words,
    )
    return job


def _session_expired(job: Job, exc: api_errors.UseapiError) -> None:
    """596: the account's Google session is gone — badge it, alert the admins."""
    from flowdash.accounts.alerts import raise_alert, reconcile_account_alerts
    from flowdash.accounts.models import Alert

    account = job.account
    text = exc.api_message or "Failed to refresh session."
    if account is None:
        raise_alert(
            Alert.Kind.SESSION_EXPIRED,
            job.account_email or "unknown account",
            f"{job.account_email or 'A Google account'}: the Google session expired and could "
            "not be refreshed. Re-add the account with fresh cookies.",
        )
        return
    account.health = text[:300] if "refresh session" in text.lower() else account.health
    account.last_error = text[:500]
    account.apply_state()
    account.save(update_fields=["health", "last_error", "state", "state_rank", "state_reason"])
    reconcile_account_alerts(account)


def _record_captcha(job: Job, captcha) -> None:
    if captcha is None:
        return
    attempts = [
        {
            "service": a.service,
            "success": a.success,
            "duration_ms": a.duration_ms,
            "error": a.error,
        }
        for a in captcha.attempts
    ]
    record = {
        "service": captcha.service,
        "duration_ms": captcha.duration_ms,
        "attempts": attempts,
    }
    Job.objects.filter(pk=job.pk).update(
        captcha=record, captcha_attempts=F("captcha_attempts") + len(attempts)
    )
    job.refresh_from_db()


# --- accounts ----------------------------------------------------------------------------------

_EMAIL_IN_JOB_ID = re.compile(r"-email:(.+?)-bot:")


def _email_in(obj: Any) -> str:
    """The account email an answer names (job record's request, or inside the job id)."""
    request = getattr(obj, "request", None)
    if isinstance(request, dict) and isinstance(request.get("email"), str):
        return request["email"]
    payload = getattr(obj, "payload", None)
    if isinstance(payload, dict):
        if isinstance(payload.get("email"), str):
            return payload["email"]
        inner = payload.get("request")
        if isinstance(inner, dict) and isinstance(inner.get("email"), str):
            return inner["email"]
    job_id = getattr(obj, "job_id", None) or ""
    match = _EMAIL_IN_JOB_ID.search(job_id)
    return match.group(1) if match else ""


def account_for_email(email: str):
    """The FlowAccount the API's (possibly masked) address names, or None."""
    from flowdash.accounts.models import FlowAccount

    if not email:
        return None
    email = email.strip()
    found = FlowAccount.objects.filter(Q(email__iexact=email) | Q(full_email__iexact=email))
    account = found.first()
    if account is not None:
        return account
    if "***" in email:
        for candidate in FlowAccount.objects.exclude(full_email=""):
            if FlowAccount.mask_matches(email, candidate.full_email):
                return candidate
    else:
        for candidate in FlowAccount.objects.filter(email__contains="***"):
            if FlowAccount.mask_matches(candidate.email, email):
                return candidate
    return None


def _record_account(job: Job, email: str) -> None:
    """Record the account the API says the job ran on (it decides for "auto" jobs)."""
    if not email:
        return
    known = job.account
    if known is not None and known.is_named_by(email):
        return  # already recorded: no write (a check runs this every time)
    account = account_for_email(email)
    if known is not None and account is None:
        return  # keep the account we chose; the API only masked its address
    Job.objects.filter(pk=job.pk).update(
        account=account or known, account_email=(account.address if account else email)
    )
    job.refresh_from_db()


def _choose_account(job: Job, handler) -> None:
    """The account a job runs on, when we must name it; None = the API's load balancing.
    Every choice must be able to run the job's model (jobs/eligibility.py): else the job fails
    in words here, before anything is sent."""
    account = handler.required_account(job) or job.requested_account or job.account
    if account is None and reference_list(job):
        account = choose_account_for_refs(job)
    if account is None and job.kind == Kind.VIDEO:
        account, words = eligibility.auto_video_account(job)
        if words:
            raise PipelineError(words)
    if account is not None:
        words = eligibility.refusal(job, account)
        if words:
            raise PipelineError(words)
        Job.objects.filter(pk=job.pk).update(account=account, account_email=account.address)
        job.refresh_from_db()


def choose_account_for_refs(job: Job):
    """An "auto" job with references must run where its references are (they name their
    account). Choice: the account of a generated result used as reference; else the usable
    account where most referenced assets are already uploaded (fewest re-uploads); ties (and
    nothing uploaded yet) go to the usable account with the fewest active jobs."""
    from django.db.models import Count

    from flowdash.accounts.models import FlowAccount
    from flowdash.gallery.models import Media

    usable = FlowAccount.objects.usable()
    refs = reference_list(job)
    media_ids = [r["media"] for r in refs if "media" in r]
    for media in Media.objects.filter(pk__in=media_ids).select_related("account"):
        # the holder only when it can run the model; else the references are re-uploaded
        if (
            media.account
            and media.account in usable
            and eligibility.job_can_run(job, media.account) is not False
        ):
            return media.account
    asset_ids = [r["asset"] for r in refs if "asset" in r]
    able = [
        a.pk
        for a in FlowAccount.objects.addressable()
        if eligibility.job_can_run(job, a) is not False
    ]
    if not able:
        raise PipelineError(
            f"None of the usable Google accounts can run {eligibility.job_model(job)} with "
            "references (plan or model list); nothing was sent."
        )
    ranked = (
        FlowAccount.objects.filter(pk__in=able)
        .annotate(
            uploaded=Count(
                "asset_uploads", filter=Q(asset_uploads__asset_id__in=asset_ids), distinct=True
            ),
            busy=Count("jobs", filter=Q(jobs__status__in=ACTIVE), distinct=True),
        )
        .order_by("-uploaded", "busy", "pk")
    )
    account = ranked.first()
    if account is None:
        raise PipelineError(
            "No usable Google account with a known address to upload the references to; "
            "check the Accounts page."
        )
    return account


# --- references --------------------------------------------------------------------------------


def ref_key(ref: dict) -> str:
    return json.dumps(ref, sort_keys=True)


def reference_list(job: Job) -> list[dict]:
    params = job.params or {}
    refs: list[dict] = []
    for key in ("start", "end", "source_video"):
        if isinstance(params.get(key), dict):
            refs.append(params[key])
    refs.extend(r for r in params.get("references") or [] if isinstance(r, dict))
    return refs


def resolve_refs(job: Job, client) -> dict[str, str]:
    """``{ref_key(ref): mediaGenerationId}`` for every reference of the job, on its account,
    uploading an asset (or a result's file, kept as an asset) there first when needed."""
    resolved: dict[str, str] = {}
    for ref in reference_list(job):
        resolved[ref_key(ref)] = resolve_ref(job, ref, client)
    return resolved


def resolve_ref(job: Job, ref: dict, client) -> str:
    from flowdash.assets.models import Asset
    from flowdash.gallery.models import Media

    account = job.account
    if "media" in ref:
        media = Media.objects.filter(pk=ref["media"]).first()
        if media is None:
            raise PipelineError("A result used as a reference has been deleted.")
        if media.media_generation_id and (account is None or media.account_id == account.pk):
            return media.media_generation_id
        if account is None and media.media_generation_id:
            return media.media_generation_id
        asset = media.asset or asset_from_media(media)
    else:
        asset = Asset.objects.filter(pk=ref.get("asset")).first()
        if asset is None:
            raise PipelineError("An asset used as a reference has been deleted.")
    if account is None:
        raise PipelineError("No account chosen for the references.")
    return upload_asset(asset, account, client, job=job).media_generation_id


def asset_from_media(media):
    """A generated image kept as an asset, so it can be uploaded to another account."""
    import hashlib

    from django.core.files import File

    from flowdash.assets.models import Asset

    if not media.file:
        raise PipelineError("A result used as a reference has no file yet (still downloading).")
    digest = hashlib.sha256()
    with media.file.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    asset = Asset.objects.filter(sha256=sha).first()
    if asset is None:
        content_type = media.content_type or "image/jpeg"
        if content_type not in (Asset.PNG, Asset.JPEG):
            raise PipelineError("Only PNG or JPEG results can be used as references elsewhere.")
        asset = Asset(
            sha256=sha,
            content_type=content_type,
            size=media.file_size or media.file.size,
            width=media.width or 0,
            height=media.height or 0,
            original_name=f"result-{media.pk}",
            uploaded_by=media.created_by,
        )
        # A copy of its own: deleting the asset must not take the result's file with it.
        ext = "png" if content_type == Asset.PNG else "jpg"
        with media.file.open("rb") as fh:
            asset.file.save(f"result-{media.pk}.{ext}", File(fh), save=False)
        asset.save()
    return asset


def upload_asset(asset, account, client, *, job: Job | None = None):
    """POST /assets/{email} unless the asset is already on ``account``; records AssetUpload."""
    from flowdash.assets.models import AssetUpload

    existing = asset.upload_on(account)
    if existing is not None:
        return existing
    attempt = None
    if job is not None:
        attempt = JobAttempt.objects.record(job, "upload", account_email=account.address)
    try:
        with asset.file.open("rb") as fh:
            answer = client.upload_asset(fh, asset.content_type, email=account.address)
    except api_errors.UseapiError as exc:
        if attempt is not None:
            outcome = (
                Outcome.NOT_DELIVERED if not exc.may_have_reached_service else Outcome.REJECTED
            )
            _finish_attempt(attempt, outcome, status=exc.status, message=str(exc))
        raise
    if attempt is not None:
        _finish_attempt(attempt, Outcome.ACCEPTED, status=200)
    upload, _ = AssetUpload.objects.update_or_create(
        asset=asset, account=account, defaults={"media_generation_id": answer.media_generation_id}
    )
    return upload


# --- ambiguous submissions ---------------------------------------------------------------------


def _ambiguous(job: Job, why: str) -> Job:
    """The request may have reached the service: look for it before anything else."""
    job.release(
        Status.SUBMITTING,
        after=LOOKUP_DELAYS[0] / time_scale(),
        error_message=f"{why} Looking for the job on useapi.net…",
    )
    return job


def _recover(job: Job, client) -> Job:
    """A job left in ``submitting`` (ambiguous answer, or a worker died mid-request)."""
    if not job.claim(Status.SUBMITTING, CHECK_LEASE):
        return job
    last = job.attempts.filter(action="submit").order_by("-number").first()
    if last is None:
        # Died before the paid request was recorded: nothing was sent.
        job.release(Status.SUBMITTING, Status.QUEUED, after=0)
        return job
    if last.outcome == Outcome.SENT:
        _finish_attempt(
            last, Outcome.UNKNOWN, message="The worker stopped while waiting for the answer."
        )
    if last.outcome in (Outcome.NOT_DELIVERED, Outcome.REJECTED):
        # A crash after a refusal was recorded: the state was not saved; retry safely.
        job.release(Status.SUBMITTING, Status.QUEUED, after=0)
        return job
    if job.remote_job_id:
        return _follow_found(job, job.remote_job_id, Status.SUBMITTING, client=client)
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
        return _follow_found(job, found, Status.SUBMITTING, client=client)
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


def _follow_found(job: Job, remote_id: str, expected: str, client=None) -> Job:
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
        return _check(job, client)
    return job


# --- following a remote job --------------------------------------------------------------------


def expected_seconds(job: Job) -> float:
    """The typical generation time of the job (nominal seconds), from the catalog: its
    account's own ``videoGenerationTimeSeconds`` for the model's key when it reports one
    (real keys such as ``veo_3_1_t2v_fast_ultra`` mapped by the catalog), else the catalog's
    figure for the model, else the operation's."""
    params = job.params or {}
    model = eligibility.job_model(job) if job.kind in ("image", "video", "extend") else None
    operation = job.kind
    if job.kind == "video_upscale" and str(params.get("resolution") or "").upper() == "4K":
        operation = "video_upscale_4k"
    account_models = job.account.video_models if job.account_id else None
    return catalog.generation_seconds(model, account_models, operation=operation)


def first_check_delay(job: Job) -> float:
    nominal = expected_seconds(job) + 5.0  # created → started takes a few seconds
    if webhooks_enabled():
        nominal = nominal * 2 + 30
    return nominal / time_scale()


def next_check_delay(job: Job) -> float:
    step = CHECK_FIRST_STEP * (CHECK_GROWTH ** max(job.check_count - 1, 0))
    cap = WEBHOOK_CHECK_CAP if webhooks_enabled() else CHECK_CAP
    step = min(step, cap) * random.uniform(0.9, 1.1)
    return step / time_scale()


def max_wait_seconds(job: Job) -> float:
    return max(1800.0, expected_seconds(job) * 10) / time_scale()


def _check(job: Job, client) -> Job:
    if not job.claim(Status.RUNNING, CHECK_LEASE, check_count=F("check_count") + 1):
        return job
    handler = handler_for(job.kind)
    try:
        record = client.get_job(job.remote_job_id)
    except api_errors.UseapiError as exc:
        return _check_failed(job, exc)
    if not job.captcha:
        _record_captcha(job, record.captcha)
    _record_account(job, _email_in(record))
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
        return _finish_remote(job, handler, record, Status.RUNNING)
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


def _check_failed(job: Job, exc: api_errors.UseapiError) -> Job:
    if isinstance(exc, api_errors.JobExpired):
        return _fail(job, exc, expected=Status.RUNNING)
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
    if errors >= MAX_CHECK_ERRORS and not _transient(exc):
        job.release(
            Status.RUNNING,
            Status.NEEDS_ATTENTION,
            next_check_at=None,
            attention_reason=f"flowdash could not read the job's status: {explain(exc)}",
        )
        return job
    job.release(
        Status.RUNNING,
        after=max(retry_delay(job, exc), next_check_delay(job)),
        error_message=f"Could not read the job's status ({explain(exc)}); trying again.",
    )
    return job


def _finish_remote(job: Job, handler, record, expected: str) -> Job:
    if record.is_completed:
        return _store(job, handler, record, expected)
    # failed: Google's or useapi's reason, in words
    code = record.code or 500
    payload = record.payload if isinstance(record.payload, dict) else {}
    exc = api_errors.error_from_response(code, payload)
    words = explain(exc)
    if isinstance(exc, api_errors.SessionExpired | api_errors.InvalidToken):
        return _fail(job, exc, expected=expected)
    _record_captcha(job, record.captcha)
    return _fail_words(
        job,
        words,
        expected=expected,
        status=code,
        code=type(exc).__name__,
        reason=record.reason or record.error or record.error_details or "",
    )


# --- webhooks ----------------------------------------------------------------------------------


def note_webhook(job: Job, hinted_status: str | None, remote_id: str | None = None) -> bool:
    """A callback arrived for the job. It is only a hint: when it says the job finished, the
    next GET /jobs/{jobId} is moved to now; a job id it names for a job whose submission is
    still being looked for is remembered as a candidate (verified by GET before use).
    Returns True when a check was scheduled."""
    now = timezone.now()
    final = hinted_status in ("completed", "failed")
    # the common case in one write: note the callback and move the check to now
    if final and job.status == Status.RUNNING and _check_now(job, now, last_webhook_at=now):
        schedule(job, 0)
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
        schedule(job, 0)
    return bool(moved)


def hint_grace() -> float:
    """Seconds a task holding a job gets to finish after a webhook named the job (its answer
    comes with the callback when it is alive): ``FLOWDASH_HINT_GRACE_SECONDS``, default 15."""
    return float(getattr(settings, "FLOWDASH_HINT_GRACE_SECONDS", 15.0))


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
        schedule(job, hint_grace())


def _check_now(job: Job, now, **fields) -> int:
    """Move the next GET /jobs/{jobId} of a running job to now (1), unless it is due already."""
    return (
        Job.objects.filter(pk=job.pk, status=Status.RUNNING)
        .exclude(remote_job_id="")
        .filter(Q(next_check_at__isnull=True) | Q(next_check_at__gt=now))
        .update(next_check_at=now, **fields)
    )


# --- people's decisions ------------------------------------------------------------------------


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


# --- reconciler --------------------------------------------------------------------------------


def due_job_rows(limit: int = 500) -> list[tuple[int, bool]]:
    """``(id, first submission?)`` of the due jobs, the longest overdue first."""
    rows = (
        Job.objects.due()
        .order_by("next_check_at")
        .values_list("pk", "status", "submit_attempts")[:limit]
    )
    return [(pk, status == Status.QUEUED and not tries) for pk, status, tries in rows]
