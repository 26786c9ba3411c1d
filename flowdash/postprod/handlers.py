"""The five post-production job kinds, as the pipeline drives them (see flowdash.jobs.kinds;
settings.FLOWDASH_KIND_HANDLERS names them).

Async kinds (video upscale, extend) submit with ``async: true`` and store the completed job's
media; sync kinds (image upscale, GIF, concatenate) decode the inline base64 straight into a
file on our storage inside ``submit`` (bounded memory: the client streams it) and turn that file
into a Media row in ``store_results``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from flowdash.gallery.models import Lineage, Media
from flowdash.jobs.models import Kind
from flowdash.postprod import services
from flowdash.useapi.errors import MalformedResponse, Moderated
from flowdash.useapi.types import ConcatItem

if TYPE_CHECKING:
    from flowdash.accounts.models import FlowAccount
    from flowdash.jobs.kinds import Submission
    from flowdash.jobs.models import Job
    from flowdash.useapi.client import UseapiClient
    from flowdash.useapi.types import CaptchaInfo, MediaItem


@dataclass(frozen=True)
class InlineResult:
    """What a sync post-production call left behind: a file already on our storage."""

    name: str
    bytes_written: int
    job_id: str | None = None
    captcha: CaptchaInfo | None = None
    payload: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _source(job: Job) -> Media:
    if job.source_media_id is None:
        raise MalformedResponse(f"{job} has no source media (it was deleted)")
    return job.source_media


def _existing(job: Job) -> list[Media] | None:
    """Media already stored for this job (store_results run twice stores nothing twice)."""
    found = list(Media.objects.filter(job=job).order_by("pk"))
    return found or None


def _common(job: Job, source: Media | None) -> dict[str, Any]:
    account = job.account or (source.account if source else None)
    return {
        "job": job,
        "account": account,
        "account_email": job.account_email
        or (account.email if account else "")
        or (source.account_email if source else ""),
        "created_by": job.requested_by,
    }


def _save_derived(media: Media, source: Media, relation: str) -> Media:
    """Save a new result together with the lineage row naming its source."""
    with transaction.atomic():
        media.save()
        Lineage.objects.create(media=media, source=source, relation=relation)
    return media


def _store_item(media: Media, item: MediaItem) -> None:
    """Fill a new row from a result item: inline bytes are written now, URLs left pending."""
    media.media_generation_id = item.media_generation_id or media.media_generation_id
    media.thumbnail_url = item.thumbnail_url or ""
    media.name = item.name or ""
    if item.encoded:
        data = item.decode() or b""
        with tempfile.NamedTemporaryFile(delete=False, suffix=".mp4") as handle:
            handle.write(data)
        del data
        try:
            with open(handle.name, "rb") as temp:
                name = default_storage.save(services.new_file_name("mp4"), File(temp))
        finally:
            os.unlink(handle.name)
        services.fill_file_facts(media, name)
        media.download_status = Media.Download.STORED
    else:
        media.source_url = item.url or ""
        media.download_status = Media.Download.PENDING


def _usable(items) -> list[MediaItem]:
    return [item for item in items if not item.failed and item.has_content]


def _require(items: list[MediaItem], job: Job) -> None:
    if not items:
        raise Moderated(
            f"{job}: the API finished without a usable result",
            user_message="The API finished the job but sent no usable video.",
        )


class _Base:
    kind: str = ""
    is_async: bool = False

    def required_account(self, job: Job) -> FlowAccount | None:
        source = job.source_media
        return source.account if source is not None else None


class ImageUpscaleHandler(_Base):
    kind = Kind.IMAGE_UPSCALE
    is_async = False

    def submit(self, submission: Submission, client: UseapiClient) -> InlineResult:
        job = submission.job
        source = _source(job)
        resolution = str(job.params.get("resolution") or "2k").lower()

        def fetch(path: Path):
            return client.upscale_image(
                source.media_generation_id, resolution=resolution, dest=path
            )

        name, answer = services.decode_into_storage("jpg", fetch)
        return InlineResult(name, answer.bytes_written, None, answer.captcha, answer.payload)

    def store_results(self, job: Job, answer: InlineResult) -> list[Media]:
        if existing := _existing(job):
            return existing
        source = _source(job)
        resolution = str(job.params.get("resolution") or "2k").lower()
        media = Media(
            kind=Media.Kind.IMAGE,
            origin=Media.Origin.UPSCALED,
            prompt=source.prompt,
            model=source.model,
            seed=source.seed,
            aspect_ratio=source.aspect_ratio,
            resolution=resolution,
            download_status=Media.Download.STORED,
            **_common(job, source),
        )
        services.fill_file_facts(media, answer.name)
        return [_save_derived(media, source, Lineage.Relation.UPSCALED_FROM)]


class VideoUpscaleHandler(_Base):
    kind = Kind.VIDEO_UPSCALE
    is_async = True

    def submit(self, submission: Submission, client: UseapiClient) -> Any:
        job = submission.job
        source = _source(job)
        return client.upscale_video(
            source.media_generation_id,
            resolution=str(job.params.get("resolution") or "1080p"),
            async_=True,
            reply_url=submission.reply_url,
            reply_ref=submission.reply_ref,
        )

    def store_results(self, job: Job, answer: Any) -> list[Media]:
        if existing := _existing(job):
            return existing
        source = _source(job)
        resolution = str(job.params.get("resolution") or "1080p")
        items = _usable(answer.media)
        _require(items, job)
        stored = []
        for item in items:
            # The API answers a repeat with a cached copy (rawBytes): if we already keep that
            # very video, link to it instead of storing it twice.
            same = (
                Media.objects.filter(media_generation_id=item.media_generation_id)
                .exclude(download_status=Media.Download.LOST)
                .first()
                if item.media_generation_id
                else None
            )
            if same is not None:
                stored.append(same)
                continue
            media = Media(
                kind=Media.Kind.VIDEO,
                origin=Media.Origin.UPSCALED,
                media_generation_id=f"{source.media_generation_id}_upsampled",
                prompt=source.prompt,
                model=source.model,
                seed=source.seed if item.seed is None else item.seed,
                aspect_ratio=source.aspect_ratio,
                duration_seconds=source.duration_seconds,
                resolution=resolution,
                **_common(job, source),
            )
            _store_item(media, item)
            stored.append(_save_derived(media, source, Lineage.Relation.UPSCALED_FROM))
        return stored


class ExtendHandler(_Base):
    kind = Kind.EXTEND
    is_async = True

    def submit(self, submission: Submission, client: UseapiClient) -> Any:
        job = submission.job
        source = _source(job)
        params = job.params
        return client.extend_video(
            source.media_generation_id,
            params["prompt"],
            model=params.get("model") or None,
            count=params.get("count") or None,
            seed=params.get("seed"),
            async_=True,
            reply_url=submission.reply_url,
            reply_ref=submission.reply_ref,
        )

    def store_results(self, job: Job, answer: Any) -> list[Media]:
        if existing := _existing(job):
            return existing
        source = _source(job)
        params = job.params
        items = _usable(answer.media)
        _require(items, job)
        stored = []
        for item in items:
            media = Media(
                kind=Media.Kind.VIDEO,
                origin=Media.Origin.EXTENDED,
                prompt=params.get("prompt") or item.prompt or "",
                model=params.get("model") or "veo-3.1-fast",
                seed=item.seed,
                aspect_ratio=source.aspect_ratio or (item.aspect_ratio or ""),
                overlap_seconds=services.DEFAULT_OVERLAP,
                **_common(job, source),
            )
            _store_item(media, item)
            stored.append(_save_derived(media, source, Lineage.Relation.EXTENDED_FROM))
        return stored


class GifHandler(_Base):
    kind = Kind.GIF
    is_async = False

    def submit(self, submission: Submission, client: UseapiClient) -> InlineResult:
        job = submission.job
        source = _source(job)
        name, answer = services.decode_into_storage(
            "gif", lambda path: client.make_gif(source.media_generation_id, dest=path)
        )
        return InlineResult(name, answer.bytes_written, payload=answer.payload)

    def store_results(self, job: Job, answer: InlineResult) -> list[Media]:
        if existing := _existing(job):
            return existing
        source = _source(job)
        media = Media(
            kind=Media.Kind.GIF,
            origin=Media.Origin.GIF,
            prompt=source.prompt,
            model=source.model,
            aspect_ratio=source.aspect_ratio,
            download_status=Media.Download.STORED,
            **_common(job, source),
        )
        services.fill_file_facts(media, answer.name)
        return [_save_derived(media, source, Lineage.Relation.GIF_OF)]


def _clips(job: Job) -> list[tuple[Media, float, float]]:
    clips = job.params.get("clips") or []
    by_pk = Media.objects.in_bulk([clip["media"] for clip in clips])
    result = []
    for clip in clips:
        media = by_pk.get(clip["media"])
        if media is None:
            raise MalformedResponse(f"{job}: clip {clip['media']} was deleted before joining")
        result.append((media, float(clip.get("trim_start") or 0), float(clip.get("trim_end") or 0)))
    return result


class ConcatenateHandler(_Base):
    kind = Kind.CONCATENATE
    is_async = False

    def required_account(self, job: Job) -> FlowAccount | None:
        clips = job.params.get("clips") or []
        if not clips:
            return job.requested_account
        first = Media.objects.filter(pk=clips[0]["media"]).select_related("account").first()
        return first.account if first is not None else job.requested_account

    def submit(self, submission: Submission, client: UseapiClient) -> InlineResult:
        job = submission.job
        items = [
            ConcatItem(media.media_generation_id, start or None, end or None)
            for media, start, end in _clips(job)
        ]
        name, answer = services.decode_into_storage(
            "mp4", lambda path: client.concatenate_videos(items, dest=path)
        )
        if not answer.succeeded:
            services.delete_stored(name)
            raise Moderated(
                f"{job}: concatenation status {answer.status}",
                user_message="Google could not join these videos (the concatenation failed).",
                payload=answer.payload,
            )
        return InlineResult(name, answer.bytes_written, answer.job_id, None, answer.payload)

    def store_results(self, job: Job, answer: InlineResult) -> list[Media]:
        if existing := _existing(job):
            return existing
        clips = _clips(job)
        first = clips[0][0]
        prompts = [m.prompt for m, _, _ in clips if m.prompt]
        media = Media(
            kind=Media.Kind.VIDEO,
            origin=Media.Origin.JOINED,
            prompt=" / ".join(dict.fromkeys(prompts))[:2000],
            model=first.model,
            aspect_ratio=first.aspect_ratio,
            download_status=Media.Download.STORED,
            name=answer.job_id or "",
            **_common(job, first),
        )
        services.fill_file_facts(media, answer.name)
        with transaction.atomic():
            media.save()
            Lineage.objects.bulk_create(
                Lineage(
                    media=media,
                    source=clip,
                    relation=Lineage.Relation.JOINED_FROM,
                    position=index,
                    trim_start=start,
                    trim_end=end,
                )
                for index, (clip, start, end) in enumerate(clips)
            )
        return [media]
