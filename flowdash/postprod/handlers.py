"""The five post-production job kinds, as the pipeline drives them (see flowdash.jobs.kinds;
settings.FLOWDASH_KIND_HANDLERS names them).

Async kinds (video upscale, extend) submit with ``async: true`` and store the completed job's
media; sync kinds (image upscale, GIF, concatenate) decode the inline base64 straight into a
file on our storage inside ``submit`` (bounded memory: the client streams it) and turn that file
into a Media row in ``store_results``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction

from flowdash.gallery import storing
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


def _common(job: Job, source: Media) -> dict[str, Any]:
    """The fields every result of ``job`` has, from the job and the media it was made from
    (a kind may say otherwise: an extension has its own prompt)."""
    account = job.account or source.account
    return {
        "job": job,
        "account": account,
        "account_email": job.account_email
        or (account.email if account else "")
        or source.account_email,
        "created_by": job.requested_by,
        "aspect_ratio": source.aspect_ratio,
        "prompt": source.prompt,
        "model": source.model,
    }


def _link(
    media: Media, sources: list[tuple[Media, float | None, float | None]], relation: str
) -> None:
    """Lineage rows naming the sources (with their trims) of a new result, in order."""
    Lineage.objects.bulk_create(
        Lineage(
            media=media,
            source=source,
            relation=relation,
            position=index,
            trim_start=start,
            trim_end=end,
        )
        for index, (source, start, end) in enumerate(sources)
    )


def _usable(job: Job, answer: Any) -> list[MediaItem]:
    items = [item for item in answer.media if not item.failed and item.has_content]
    if not items:
        raise Moderated(
            f"{job}: the API finished without a usable result",
            user_message="The API finished the job but sent no usable video.",
        )
    return items


class _Base:
    """``store_results`` stores nothing twice: a second run returns what the first stored.
    Sync kinds keep the file ``submit`` decoded as one result (:meth:`_from_file`); async kinds
    build a result per usable item of the finished job (:meth:`_from_items`)."""

    kind: str = ""
    is_async: bool = False
    relation: str = ""

    def required_account(self, job: Job) -> FlowAccount | None:
        source = job.source_media
        return source.account if source is not None else None

    def store_results(self, job: Job, answer: Any) -> list[Media]:
        found = list(Media.objects.filter(job=job).order_by("pk"))
        return found or self._store(job, answer)

    def _store(self, job: Job, answer: Any) -> list[Media]:
        raise NotImplementedError

    def _fields(self, job: Job, source: Media, item: MediaItem | None) -> dict[str, Any]:
        raise NotImplementedError

    def _kept_copy(self, item: MediaItem) -> Media | None:
        return None

    def _from_file(self, job: Job, answer: InlineResult) -> list[Media]:
        source = _source(job)
        media = Media(**(_common(job, source) | self._fields(job, source, None)))
        storing.store_file(media, answer.name)
        with transaction.atomic():
            media.save()
            _link(media, [(source, None, None)], self.relation)
        return [media]

    def _from_items(self, job: Job, answer: Any) -> list[Media]:
        source = _source(job)
        stored = []
        for item in _usable(job, answer):
            copy = self._kept_copy(item)
            if copy is not None:
                stored.append(copy)
                continue
            fields = _common(job, source) | self._fields(job, source, item)
            with transaction.atomic():
                media = storing.media_from_item(item, **fields)
                _link(media, [(source, None, None)], self.relation)
            stored.append(media)
        return stored


class ImageUpscaleHandler(_Base):
    kind = Kind.IMAGE_UPSCALE
    is_async = False
    relation = Lineage.Relation.UPSCALED_FROM

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

    def _fields(self, job: Job, source: Media, item: MediaItem | None) -> dict[str, Any]:
        return {
            "kind": Media.Kind.IMAGE,
            "origin": Media.Origin.UPSCALED,
            "seed": source.seed,
            "resolution": str(job.params.get("resolution") or "2k").lower(),
        }

    _store = _Base._from_file


class VideoUpscaleHandler(_Base):
    kind = Kind.VIDEO_UPSCALE
    is_async = True
    relation = Lineage.Relation.UPSCALED_FROM

    def submit(self, submission: Submission, client: UseapiClient) -> Any:
        job = submission.job
        source = _source(job)
        return client.upscale_video(
            source.media_generation_id,
            resolution=str(job.params.get("resolution") or "1080p"),
            **submission.reply(async_=self.is_async),
        )

    def _fields(self, job: Job, source: Media, item: MediaItem | None) -> dict[str, Any]:
        return {
            "kind": Media.Kind.VIDEO,
            "origin": Media.Origin.UPSCALED,
            "media_generation_id": f"{source.media_generation_id}_upsampled",
            "seed": source.seed if item is None or item.seed is None else item.seed,
            "duration_seconds": source.duration_seconds,
            "resolution": str(job.params.get("resolution") or "1080p"),
        }

    def _kept_copy(self, item: MediaItem) -> Media | None:
        # The API answers a repeat with a cached copy (rawBytes): if we already keep that very
        # video, link to it instead of storing it twice.
        if not item.media_generation_id:
            return None
        kept = Media.objects.exclude(download_status=Media.Download.LOST)
        return kept.filter(media_generation_id=item.media_generation_id).first()

    _store = _Base._from_items


class ExtendHandler(_Base):
    kind = Kind.EXTEND
    is_async = True
    relation = Lineage.Relation.EXTENDED_FROM

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
            **submission.reply(async_=self.is_async),
        )

    def _fields(self, job: Job, source: Media, item: MediaItem | None) -> dict[str, Any]:
        params = job.params
        return {
            "kind": Media.Kind.VIDEO,
            "origin": Media.Origin.EXTENDED,
            "prompt": params.get("prompt") or (item.prompt if item else "") or "",
            "model": params.get("model") or "veo-3.1-fast",
            "seed": item.seed if item else None,
            "aspect_ratio": source.aspect_ratio or ((item.aspect_ratio if item else "") or ""),
            "overlap_seconds": services.DEFAULT_OVERLAP,
        }

    _store = _Base._from_items


class GifHandler(_Base):
    kind = Kind.GIF
    is_async = False
    relation = Lineage.Relation.GIF_OF

    def submit(self, submission: Submission, client: UseapiClient) -> InlineResult:
        job = submission.job
        source = _source(job)
        name, answer = services.decode_into_storage(
            "gif", lambda path: client.make_gif(source.media_generation_id, dest=path)
        )
        return InlineResult(name, answer.bytes_written, payload=answer.payload)

    def _fields(self, job: Job, source: Media, item: MediaItem | None) -> dict[str, Any]:
        return {
            "kind": Media.Kind.GIF,
            "origin": Media.Origin.GIF,
        }

    _store = _Base._from_file


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

    def _store(self, job: Job, answer: InlineResult) -> list[Media]:
        clips = _clips(job)
        first = clips[0][0]
        prompts = [m.prompt for m, _, _ in clips if m.prompt]
        fields = _common(job, first) | {"prompt": " / ".join(dict.fromkeys(prompts))[:2000]}
        media = Media(
            kind=Media.Kind.VIDEO, origin=Media.Origin.JOINED, name=answer.job_id or "", **fields
        )
        storing.store_file(media, answer.name)
        with transaction.atomic():
            media.save()
            _link(media, clips, Lineage.Relation.JOINED_FROM)
        return [media]
