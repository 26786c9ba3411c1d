"""Kind handlers for the generation kinds: image, video and asset upload (see ``kinds.py``).

Each builds its ONE request from a :class:`~flowdash.jobs.kinds.Submission` (``job.params``,
references already resolved by the pipeline into ``Submission.refs``) and turns the answer into
Media rows with their lineage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone

from flowdash.assets import uploads
from flowdash.assets.models import Asset
from flowdash.gallery import storing
from flowdash.gallery.models import Lineage, Media
from flowdash.jobs.downloads import FIRST_TRY_GRACE, temp_dir
from flowdash.jobs.kinds import Submission
from flowdash.jobs.models import Job
from flowdash.useapi import catalog


def _auto_model(job: Job) -> str:
    """The request name the API picks for an image job sent without a model (documented by
    reference count), so the gallery lists "imagen-4" rather than an internal model name."""
    if job.kind != Job.Kind.IMAGE:
        return ""
    params = job.params or {}
    if params.get("auto_model"):  # what the API of the era it was sent to picks (submit)
        return str(params["auto_model"])
    return catalog.auto_image_model(len(params.get("references") or []))


def job_email(job: Job) -> str | None:
    """The address to name in the request, or None to let the API balance the load. A masked
    address (``ul***@gmail.com``) is never named: the API would answer 404."""
    account = job.account if job.account_id else None
    if account is None or account.needs_full_email:
        return None
    return account.address


def captcha_options(params: dict) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if params.get("captcha_token"):
        options["captcha_token"] = params["captcha_token"]
    elif params.get("captcha_order"):
        options["captcha_order"] = params["captcha_order"]
    elif params.get("captcha_retry"):
        options["captcha_retry"] = int(params["captcha_retry"])
    return options


def generation_options(job: Job) -> dict[str, Any]:
    """The client's keywords images and videos share: the account to name (or the load
    balancer), model, aspect ratio, count, seed and the captcha choice."""
    params = job.params or {}
    return {
        "email": job_email(job),
        "model": params.get("model") or None,
        "aspect_ratio": params.get("aspect_ratio") or None,
        "count": params.get("count") or None,
        "seed": params.get("seed"),
        **captcha_options(params),
    }


def media_from_item(job: Job, item, kind: str, **fields) -> Media:
    """One Media row for an API media item of ``job`` (see ``gallery.storing``)."""
    params = job.params or {}
    return storing.media_from_item(
        item,
        first_try_at=timezone.now() + FIRST_TRY_GRACE,
        kind=kind,
        origin=fields.pop("origin", Media.Origin.GENERATED),
        account=job.account,
        account_email=job.account_email,
        prompt=params.get("prompt") or item.prompt or "",
        model=(params.get("model") or _auto_model(job) or item.model or "")[:60],
        seed=item.seed if item.seed is not None else params.get("seed"),
        aspect_ratio=(params.get("aspect_ratio") or item.aspect_ratio or "")[:60],
        job=job,
        created_by=job.requested_by,
        **fields,
    )


def link(media: Media, sources: list[tuple[int, str]]) -> None:
    """Lineage rows ``media`` ← each (source Media pk, relation), in order."""
    known = set(Media.objects.filter(pk__in=[pk for pk, _ in sources]).values_list("pk", flat=True))
    Lineage.objects.bulk_create(
        Lineage(media=media, source_id=pk, relation=relation, position=index)
        for index, (pk, relation) in enumerate(sources)
        if pk in known
    )


def reference_sources(params: dict) -> list[tuple[int, str]]:
    """The results used as references, for the lineage of what they helped make."""
    return [
        (r["media"], Lineage.Relation.REFERENCE)
        for r in params.get("references") or []
        if isinstance(r, dict) and "media" in r
    ]


def store_items(job: Job, answer: Any, kind: str, sources: list[tuple[int, str]]) -> list[Media]:
    """One Media row per usable result item, linked to its sources."""
    made = []
    for item in answer.media:
        if item.failed or not item.has_content:
            continue
        media = media_from_item(job, item, kind)
        link(media, sources)
        made.append(media)
    return made


def inline_dir() -> Path:
    """Where an image answer's inline bytes (``encodedImage``) are decoded while it streams: the
    downloads' local temp folder (local with S3 media too), where ``check_storage`` and the
    reconciler find what a killed worker left."""
    folder = temp_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class ImageHandler:
    kind = Job.Kind.IMAGE
    is_async = False

    def required_account(self, job: Job):
        return None

    def submit(self, submission: Submission, client) -> Any:
        job = submission.job
        params = job.params or {}
        refs = [submission.ref_id(r) for r in params.get("references") or []]
        if not params.get("model"):
            # the API picks by reference count, and the eras pick differently: note its pick
            picked = catalog.auto_image_model(len(refs), getattr(client, "era", None))
            if params.get("auto_model") != picked:
                job.params = {**params, "auto_model": picked}
                Job.objects.filter(pk=job.pk).update(params=job.params)
        return client.generate_images(
            params.get("prompt") or "",
            references=refs,
            inline_dir=inline_dir(),  # an encodedImage streams into a file, never held whole
            **generation_options(job),
            **submission.reply(async_=self.is_async),
        )

    def store_results(self, job: Job, answer: Any) -> list[Media]:
        sources = reference_sources(job.params or {})
        try:
            return store_items(job, answer, Media.Kind.IMAGE, sources)
        finally:  # an item not stored (failed, or the store broke) leaves no decoded file
            for item in answer.media:
                if item.file:
                    Path(item.file).unlink(missing_ok=True)


class VideoHandler:
    kind = Job.Kind.VIDEO
    is_async = True

    def required_account(self, job: Job):
        return None

    def submit(self, submission: Submission, client) -> Any:
        job = submission.job
        params = job.params or {}
        mode = params.get("mode") or "text"
        start = end = None
        refs: list[str] = []
        source = None
        if mode == "frames" and params.get("start"):
            start = submission.ref_id(params["start"])
            if params.get("end"):
                end = submission.ref_id(params["end"])
        elif mode in ("references", "v2v"):
            refs = [submission.ref_id(r) for r in params.get("references") or []]
        if mode == "v2v" and params.get("source_video"):
            source = submission.ref_id(params["source_video"])
        return client.generate_videos(
            params.get("prompt") or "",
            start_image=start,
            end_image=end,
            reference_images=refs,
            duration=params.get("duration"),
            resolution=params.get("resolution"),
            reference_video=source,
            start_frame=params.get("start_frame") if source else None,
            end_frame=params.get("end_frame") if source else None,
            **generation_options(job),
            **submission.reply(async_=self.is_async),
        )

    def store_results(self, job: Job, answer: Any) -> list[Media]:
        params = job.params or {}
        sources: list[tuple[int, str]] = []
        mode = params.get("mode") or "text"
        if mode == "frames":
            for key, relation in (
                ("start", Lineage.Relation.START_FRAME),
                ("end", Lineage.Relation.END_FRAME),
            ):
                ref = params.get(key)
                if isinstance(ref, dict) and "media" in ref:
                    sources.append((ref["media"], relation))
        elif mode == "references":
            sources = reference_sources(params)
        return store_items(job, answer, Media.Kind.VIDEO, sources)


class AssetUploadHandler:
    kind = Job.Kind.ASSET_UPLOAD
    is_async = False

    def required_account(self, job: Job):
        return job.requested_account

    def _asset(self, job: Job) -> Asset:
        return Asset.objects.get(pk=(job.params or {}).get("asset"))

    def submit(self, submission: Submission, client) -> Any:
        return uploads.send(self._asset(submission.job), client, job_email(submission.job))

    def store_results(self, job: Job, answer: Any) -> list[Media]:
        from flowdash.accounts.models import FlowAccount
        from flowdash.jobs.pipeline.outcomes import account_for_email

        account = job.account or account_for_email(answer.email or "")
        if account is None and answer.email:
            account, _ = FlowAccount.objects.get_or_create(email=answer.email)
        if account is None:
            return []
        uploads.record(self._asset(job), account, answer.media_generation_id)
        Job.objects.filter(pk=job.pk).update(account=account, account_email=account.address)
        return []
