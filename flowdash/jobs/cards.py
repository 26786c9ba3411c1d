"""A job card: what a job's card, page and row show, built beside the model (not glued onto
it): progress, words about time, results, whether it keeps polling, who may act on it.

A template reads a :class:`JobCard` like the job it shows: ``card.progress`` is the card's,
``card.prompt``-like names that are the job's own (``status``, ``pk``, ``params``…) are read
from the job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from flowdash.accounts.models import FlowAccount
from flowdash.gallery.models import Media
from flowdash.jobs.forms import auto_image_model, video_generation_seconds
from flowdash.jobs.models import ACTIVE, Job
from flowdash.jobs.pipeline.timing import expected_seconds
from flowdash.useapi import errors as api_errors

# Rough figures for kinds the studio does not make (post-production), in seconds.
ASSET_UPLOAD_SECONDS = 3
STATUS_BADGES = {
    Job.Status.QUEUED: "badge-info",
    Job.Status.SUBMITTING: "badge-info",
    Job.Status.RUNNING: "badge-info",
    Job.Status.COMPLETED: "badge-ok",
    Job.Status.FAILED: "badge-danger",
    Job.Status.CANCELLED: "",
    Job.Status.NEEDS_ATTENTION: "badge-warn",
}


def estimate_seconds(job: Job, accounts: list[FlowAccount] | None = None) -> int:
    """The documented (or the account's own) generation time for this job."""
    params = job.params or {}
    if job.kind in (Job.Kind.VIDEO, Job.Kind.EXTEND):
        return video_generation_seconds(
            params.get("model"), job.account or job.requested_account, accounts
        )
    if job.kind == Job.Kind.ASSET_UPLOAD:
        return ASSET_UPLOAD_SECONDS
    return int(expected_seconds(job))  # the catalog's figure for the model or operation


def _progress(job: Job, elapsed: int, estimate: int) -> int:
    if job.status == Job.Status.COMPLETED:
        return 100
    if job.status == Job.Status.QUEUED:
        return 2
    if job.status in (Job.Status.SUBMITTING, Job.Status.RUNNING):
        return min(95, 5 + int(90 * elapsed / max(estimate, 1)))
    return 0


def _model_shown(job: Job) -> str:
    params = job.params or {}
    if params.get("model"):
        return params["model"]
    if job.kind == Job.Kind.IMAGE:
        return f"auto → {auto_image_model(len(params.get('references') or []))}"
    return ""


def _on_account(job: Job) -> str:
    """The account as every card shows it: the full address when flowdash knows it (a queued
    card the same as a running one), else the API's masked form."""
    return (
        (job.account.address if job.account else "")
        or job.account_email
        or (f"{job.requested_account.address} (asked)" if job.requested_account else "")
    )


def _summary(job: Job) -> str:
    """What a job without a prompt makes, in words (upscales, GIFs, joins, uploads)."""
    params = job.params or {}
    source = f" of result #{job.source_media_id}" if job.source_media_id else ""
    if job.kind in (Job.Kind.IMAGE_UPSCALE, Job.Kind.VIDEO_UPSCALE):
        return f"{params.get('resolution') or ''} upscale{source}".strip()
    if job.kind == Job.Kind.GIF:
        return f"GIF{source}"
    if job.kind == Job.Kind.CONCATENATE:
        clips = params.get("clips") or params.get("media") or []
        return f"join of {len(clips)} clip{'' if len(clips) == 1 else 's'}"
    if job.kind == Job.Kind.ASSET_UPLOAD:
        return f"upload of asset #{params.get('asset')}" if params.get("asset") else "asset upload"
    if job.kind == Job.Kind.EXTEND:
        return f"extension{source}"
    return ""


def duration_words(seconds: int) -> str:
    """``about 45 s`` / ``about 3 min``: minutes once a wait is long enough to count in them."""
    if seconds < 120:
        return f"about {seconds} s"
    return f"about {round(seconds / 60)} min"


# Where the cause of a failure is fixed, by the error it was recorded with (``Job.error_code``
# is the error's class name): (url name, page name).
FIX_PAGES = {
    api_errors.CaptchaRejected.__name__: ("stats:captcha", "Captcha page"),
    api_errors.SessionExpired.__name__: ("accounts:list", "Accounts page"),
}


def _fix_link(job: Job) -> tuple[str, str] | None:
    """Where a failed job's cause is fixed: (url name, page name), or None."""
    if job.status != Job.Status.FAILED:
        return None
    return FIX_PAGES.get(job.error_code)


@dataclass
class JobCard:
    job: Job
    results: list[Media] = field(default_factory=list)
    downloading: bool = False  # a result's file is still on its way
    polling: bool = False  # the card refreshes itself (htmx) until the job and its files end
    estimate: int = 0  # seconds a job like this usually takes
    elapsed_seconds: int = 0
    progress: int = 0  # percent
    overdue: bool = False
    remaining: int = 0
    status_badge: str = ""
    retrying: bool = False  # back in the queue after a 429/503 that did not reach the service
    retry_in: int = 0  # seconds until that next try
    manageable: bool = False  # the viewer may cancel / decide on it
    model_shown: str = ""
    on_account: str = ""
    studio_kind: bool = False  # made in the studio (remix / edit and retry there)
    summary: str = ""  # what a job without a prompt makes ("4K upscale of result #12")
    estimate_words: str = ""  # "about 45 s", "about 3 min"
    remaining_words: str = ""
    fix_link: tuple[str, str] | None = None  # (url name, page) where a failure's cause is fixed

    def __getattr__(self, name: str) -> Any:
        # only called for names the card does not have: the job's own fields and methods
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.job, name)


def card_jobs():
    """Jobs with what their cards read (accounts, who asked, results) in three queries."""
    return Job.objects.select_related(
        "account", "requested_account", "requested_by"
    ).prefetch_related("media")


def job_card(job: Job, user, accounts: list[FlowAccount] | None = None) -> JobCard:
    """The card of ``job`` as ``user`` sees it now."""
    now = timezone.now()
    results = list(job.media.all()) if job.pk else []
    downloading = any(m.download_status == Media.Download.PENDING for m in results)
    estimate = estimate_seconds(job, accounts)
    start = job.submitted_at or job.created_at
    elapsed = max(0, int(((job.finished_at or now) - start).total_seconds()))
    retrying = job.is_retrying
    return JobCard(
        job=job,
        results=results,
        downloading=downloading,
        polling=job.status in ACTIVE or (job.status == Job.Status.COMPLETED and downloading),
        estimate=estimate,
        elapsed_seconds=elapsed,
        progress=_progress(job, elapsed, estimate),
        overdue=job.status in ACTIVE and elapsed > estimate,
        remaining=max(0, estimate - elapsed),
        status_badge=STATUS_BADGES.get(job.status, ""),
        retrying=retrying,
        retry_in=(
            max(0, int((job.next_check_at - now).total_seconds()))
            if retrying and job.next_check_at
            else 0
        ),
        manageable=job.manageable_by(user),
        model_shown=_model_shown(job),
        on_account=_on_account(job),
        studio_kind=job.kind in (Job.Kind.IMAGE, Job.Kind.VIDEO),
        summary=_summary(job),
        estimate_words=duration_words(estimate),
        remaining_words=duration_words(max(0, estimate - elapsed)),
        fix_link=_fix_link(job),
    )
