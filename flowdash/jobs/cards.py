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
    return (
        job.account_email
        or (job.account.email if job.account else "")
        or (f"{job.requested_account.email} (asked)" if job.requested_account else "")
    )


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

    def __getattr__(self, name: str) -> Any:
        # only called for names the card does not have: the job's own fields and methods
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.job, name)


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
    )
