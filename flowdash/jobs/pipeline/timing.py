"""Every wait of the pipeline, in one place: tunables, the time scale, a job's deadline, retry
and check delays (seconds; "nominal" ones are divided by the time scale)."""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from flowdash.jobs import eligibility
from flowdash.jobs.models import Job
from flowdash.useapi import catalog
from flowdash.useapi.errors import UseapiError

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


def time_scale() -> float:
    """How much faster than documented the service runs: 1 for useapi.net; the simulator's
    speed in sandbox mode (``FLOWDASH_JOB_TIME_SCALE`` overrides, e.g. for tests)."""
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


def at(seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)


def seconds_words(seconds: float) -> str:
    if seconds < 90:
        return f"{max(round(seconds), 1)} s"
    return f"{round(seconds / 60)} min"


# --- a job's deadline --------------------------------------------------------------------------


def deadline_seconds() -> float:
    """A job's time budget (real seconds): ``FLOWDASH_JOB_DEADLINE_MINUTES`` (default 30),
    nominal, so divided by the time scale like every other wait."""
    minutes = float(getattr(settings, "FLOWDASH_JOB_DEADLINE_MINUTES", 30) or 30)
    return minutes * 60.0 / time_scale()


def deadline_of(job: Job) -> datetime:
    """When the job stops waiting out outages (and stops looking for an ambiguous submission
    by itself): its creation, or a person's "submit again", plus the budget."""
    return (job.deadline_from or job.created_at) + timedelta(seconds=deadline_seconds())


def time_left(job: Job) -> float:
    return (deadline_of(job) - timezone.now()).total_seconds()


def budget_words() -> str:
    minutes = float(getattr(settings, "FLOWDASH_JOB_DEADLINE_MINUTES", 30) or 30)
    return f"{minutes:g} minute{'s' if minutes != 1 else ''}"


# --- retries of a submission -------------------------------------------------------------------


def retry_delay(job: Job, exc: UseapiError | None) -> float:
    tries = max(job.submit_attempts, 1)
    base = random.uniform(*RETRY_BASE) * (RETRY_GROWTH ** (tries - 1))
    delay = min(base, RETRY_CAP)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        delay = max(delay, float(retry_after) + random.uniform(0, 2))
    return delay / time_scale()  # the sandbox's simulated time runs faster


def capacity_delay(job: Job) -> float:
    """After a capacity 429: soon (the account's figure dropped, so the next try takes a free
    slot or waits for one), but doubling with each try so a busy account is not hammered."""
    tries = max(job.submit_attempts, 1)
    nominal = min(CAPACITY_RETRY * 2 ** min(tries - 1, 16), RETRY_CAP)
    return nominal * random.uniform(0.8, 1.2) / time_scale()


# --- following a running job -------------------------------------------------------------------


def webhooks_enabled() -> bool:
    return bool(getattr(settings, "PUBLIC_URL", ""))


def reply_url_for(job: Job) -> str | None:
    if not webhooks_enabled():
        return None
    return f"{settings.PUBLIC_URL}/hooks/useapi/{job.uuid}/{job.webhook_token()}/"


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


def hint_grace() -> float:
    """Seconds a task holding a job gets to finish after a webhook named the job (its answer
    comes with the callback when it is alive): ``FLOWDASH_HINT_GRACE_SECONDS``, default 15."""
    return float(getattr(settings, "FLOWDASH_HINT_GRACE_SECONDS", 15.0))
