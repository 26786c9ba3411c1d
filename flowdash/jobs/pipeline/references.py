"""Which account a job runs on, and its references there: resolved to a ``mediaGenerationId``
on that account, uploading an asset (or a result's file, kept as an asset) first when needed."""

from __future__ import annotations

import hashlib

from django.core.files import File
from django.db.models import Count, Q

from flowdash.jobs import eligibility
from flowdash.jobs.kinds import KindHandler, ref_key
from flowdash.jobs.models import ACTIVE, Job, JobAttempt, Kind
from flowdash.jobs.pipeline.outcomes import PipelineError, finish_attempt
from flowdash.useapi import errors as api_errors

Outcome = JobAttempt.Outcome


# --- the account ------------------------------------------------------------------------------


def choose_account(job: Job, handler: KindHandler) -> None:
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
    from flowdash.assets import uploads

    existing = asset.upload_on(account)
    if existing is not None:
        return existing
    attempt = None
    if job is not None:
        attempt = JobAttempt.objects.record(job, "upload", account_email=account.address)
    try:
        answer = uploads.send(asset, client, account.address)
    except api_errors.UseapiError as exc:
        if attempt is not None:
            outcome = (
                Outcome.NOT_DELIVERED if not exc.may_have_reached_service else Outcome.REJECTED
            )
            finish_attempt(attempt, outcome, status=exc.status, message=str(exc))
        raise
    if attempt is not None:
        finish_attempt(attempt, Outcome.ACCEPTED, status=200)
    return uploads.record(asset, account, answer.media_generation_id)
