"""What an answer means for a job: results stored (all or nothing), a failure in words, the
captcha solves and the account it ran on recorded, an attempt's outcome written."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from flowdash.jobs.kinds import KindHandler
from flowdash.jobs.models import Job, JobAttempt
from flowdash.jobs.nudges import hand_over_downloads
from flowdash.useapi import errors as api_errors

Status = Job.Status
Outcome = JobAttempt.Outcome


class PipelineError(Exception):
    """A step that cannot go on, with words for people (the job fails with them)."""


def finish_attempt(
    attempt: JobAttempt, outcome: str, *, status=None, message="", email="", reached=True
) -> None:
    JobAttempt.objects.filter(pk=attempt.pk).update(
        outcome=outcome,
        http_status=status,
        message=message[:2000],
        account_email=email or attempt.account_email,
        finished_at=timezone.now(),
        may_have_reached_service=reached,
    )


# --- results -----------------------------------------------------------------------------------


def store(job: Job, handler: KindHandler, answer: Any, expected: str) -> Job:
    """Record the results and complete the job, all or nothing."""
    items = getattr(answer, "media", None)
    if items is not None and items and all(getattr(i, "failed", False) for i in items):
        first = items[0]
        return fail_words(
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
        return fail(job, exc, expected=expected)


def _store_atomically(job: Job, handler: KindHandler, answer: Any, expected: str) -> Job:
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
        made = handler.store_results(Job.objects.get(pk=job.pk), answer)
        media_ids = [m.pk for m in made if m.download_status == m.Download.PENDING]
        transaction.on_commit(lambda: hand_over_downloads(media_ids))
    job.refresh_from_db()
    return job


# --- failures in words -------------------------------------------------------------------------


def fail(job: Job, exc: api_errors.UseapiError, words: str | None = None, expected=None) -> Job:
    """The job fails with the error's own words (or ``words``); an expired session or a
    refused token also tells the admins."""
    if isinstance(exc, api_errors.SessionExpired):
        _session_expired(job, exc)
    elif isinstance(exc, api_errors.InvalidToken):
        from flowdash.accounts.alerts import note_token_rejected

        note_token_rejected()
    return fail_words(
        job,
        words or exc.user_message,
        expected=expected,
        status=exc.status,
        code=type(exc).__name__,
        reason=exc.reason or exc.api_message or "",
    )


def fail_words(
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


# --- captcha and account -----------------------------------------------------------------------


def record_captcha(job: Job, captcha) -> None:
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


_EMAIL_IN_JOB_ID = re.compile(r"-email:(.+?)-bot:")


def email_in(obj: Any) -> str:
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


def record_account(job: Job, email: str) -> None:
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
