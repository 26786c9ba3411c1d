"""Typed results of the useapi.net Google Flow API v1.

Every type is a frozen dataclass built by ``from_json`` from the parsed body. Parsing is
tolerant: unknown fields are ignored (and kept in ``payload``), documented optional fields may
be missing, and the newer response forms are read beside the documented ones (``media[]`` with
``videoUrl`` beside ``operations[]`` with ``fifeUrl``; ``jobid`` and ``jobId``; ``encodedImage``
instead of ``fifeUrl``; ``rawBytes``; unknown model keys and aspect ratios pass through as text).
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowdash.useapi import catalog
from flowdash.useapi.errors import InvalidAnswer, MalformedResponse, find_reason
from flowdash.useapi.records import (
    CaptchaAttempt,
    CaptchaInfo,
    _dict,
    _first,
    _float,
    _int,
    _list,
    _str,
    job_id_of,
    parse_timestamp,
)

__all__ = [
    "JOB_STATUSES",
    "Account",
    "AccountLoad",
    "AccountSaved",
    "CaptchaAttempt",
    "CaptchaInfo",
    "CaptchaProviders",
    "CaptchaStats",
    "ConcatItem",
    "ConcatenateResult",
    "Credits",
    "ExecutingJob",
    "GenerationResult",
    "GifResult",
    "HistoryEntry",
    "ImageUpscaleResult",
    "Job",
    "JobStats",
    "JobStatsSection",
    "MediaItem",
    "UploadedAsset",
    "VideoModel",
]

JOB_STATUSES = ("created", "started", "completed", "failed")
FINISHED_JOB_STATUSES = frozenset({"completed", "failed"})


# --- accounts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credits:
    credits: int | None
    user_paygate_tier: str | None

    @classmethod
    def from_json(cls, data: Any) -> Credits | None:
        if not isinstance(data, dict):
            return None
        return cls(
            credits=_int(data.get("credits")),
            user_paygate_tier=_str(data.get("userPaygateTier")),
        )


@dataclass(frozen=True)
class VideoModel:
    """One entry of ``models.videoModels``. ``credit_cost`` is None for unlimited Ultra models."""

    key: str
    display_name: str | None
    supported_aspect_ratios: tuple[str, ...]
    capabilities: tuple[str, ...]
    credit_cost: int | None
    video_length_seconds: int | None
    video_generation_time_seconds: int | None
    frames_per_second: int | None
    paygate_tier: str | None
    access_type: str | None
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> VideoModel | None:
        data = _dict(data)
        key = _str(data.get("key"))
        if not key:
            return None
        return cls(
            key=key,
            display_name=_str(data.get("displayName")),
            supported_aspect_ratios=tuple(
                s for s in _list(data.get("supportedAspectRatios")) if isinstance(s, str)
            ),
            capabilities=tuple(s for s in _list(data.get("capabilities")) if isinstance(s, str)),
            credit_cost=_int(data.get("creditCost")),
            video_length_seconds=_int(data.get("videoLengthSeconds")),
            video_generation_time_seconds=_int(data.get("videoGenerationTimeSeconds")),
            frames_per_second=_int(data.get("framesPerSecond")),
            paygate_tier=_str(data.get("paygateTier")),
            access_type=_str(data.get("accessType")),
            payload=data,
        )


_SECRET_ACCOUNT_KEYS = ("accountCookies", "sessionCookies")


def sanitize_account_payload(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an account body without cookies or the session access token.

    The API redacts them already; flowdash never stores cookies, so they are dropped here too.
    """
    clean = {k: copy.deepcopy(v) for k, v in data.items() if k not in _SECRET_ACCOUNT_KEYS}
    session = clean.get("sessionData")
    if isinstance(session, dict):
        session.pop("access_token", None)
    return clean


@dataclass(frozen=True)
class Account:
    """A configured Google Flow account (from GET /accounts, GET /accounts/{email} or POST).

    ``health`` is ``"OK"`` or the API's error text. ``credits`` and ``video_models`` are only
    present when health is OK (GET /accounts/{email}). ``payload`` is the body without cookies.
    """

    email: str | None
    health: str | None
    error: str | None
    created: datetime | None
    session_expires: datetime | None
    next_refresh: datetime | None
    project_id: str | None
    project_title: str | None
    user_name: str | None
    masked_email: str | None
    credits: Credits | None
    video_models: tuple[VideoModel, ...]
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def is_healthy(self) -> bool:
        return self.health == "OK"

    @property
    def paygate_tier(self) -> str | None:
        return self.credits.user_paygate_tier if self.credits else None

    @classmethod
    def from_json(cls, data: Any, *, email: str | None = None) -> Account:
        if not isinstance(data, dict):
            raise MalformedResponse("account entry is not an object")
        session = _dict(data.get("sessionData"))
        user = _dict(session.get("user"))
        project = _dict(data.get("project"))
        models = _dict(data.get("models"))
        video_models = (VideoModel.from_json(m) for m in _list(models.get("videoModels")))
        masked = _str(user.get("email"))
        return cls(
            email=email or masked,
            health=_str(data.get("health")),
            error=_str(data.get("error")),
            created=parse_timestamp(data.get("created")),
            session_expires=parse_timestamp(session.get("expires")),
            next_refresh=parse_timestamp(_dict(data.get("nextRefresh")).get("scheduledFor")),
            project_id=_str(project.get("projectId")),
            project_title=_str(project.get("projectTitle")),
            user_name=_str(user.get("name")),
            masked_email=masked,
            credits=Credits.from_json(data.get("credits")),
            video_models=tuple(m for m in video_models if m is not None),
            payload=sanitize_account_payload(data),
        )


@dataclass(frozen=True)
class AccountSaved:
    """Result of POST /accounts: ``is_new`` is True for 201 Created, False for 200 (updated)."""

    account: Account
    is_new: bool


@dataclass(frozen=True)
class CaptchaProviders:
    """Masked provider keys (``{"CapSolver": "def34…"}``) and free credits when none is set."""

    keys: dict[str, str]
    free_captcha_credits: int | None
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    _META_KEYS = frozenset({"freeCaptchaCredits", "message", "error", "success"})

    @classmethod
    def from_json(cls, data: Any) -> CaptchaProviders:
        if not isinstance(data, dict):
            raise MalformedResponse("captcha providers body is not an object")
        keys = {k: v for k, v in data.items() if k not in cls._META_KEYS and isinstance(v, str)}
        return cls(
            keys=keys,
            free_captcha_credits=_int(data.get("freeCaptchaCredits")),
            payload=data,
        )


@dataclass(frozen=True)
class CaptchaStats:
    """GET /accounts/captcha-stats. Only the summary is typed; rows stay as dicts (the row shape
    is not documented)."""

    date: str | None
    total: int | None
    time_span: str | None
    sample_size_by_provider: dict[str, int]
    success_rate_by_provider: dict[str, float]
    summary: dict[str, Any]
    rows: tuple[dict[str, Any], ...]
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> CaptchaStats:
        if not isinstance(data, dict):
            raise MalformedResponse("captcha stats body is not an object")
        summary = _dict(data.get("summary"))
        sizes = {
            k: n
            for k, v in _dict(summary.get("sample_size_by_provider")).items()
            if (n := _int(v)) is not None
        }
        rates = {
            k: r
            for k, v in _dict(summary.get("success_rate_by_provider")).items()
            if (r := _float(v)) is not None
        }
        rows: list[dict[str, Any]] = []
        for value in data.values():
            if isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
                rows.extend(value)
        return cls(
            date=_str(data.get("date")),
            total=_int(data.get("total")),
            time_span=_str(summary.get("time_span")),
            sample_size_by_provider=sizes,
            success_rate_by_provider=rates,
            summary=summary,
            rows=tuple(rows),
            payload=data,
        )


# --- assets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedAsset:
    """POST /assets: the reference id to pass as ``reference_N`` / ``startImage`` etc."""

    media_generation_id: str
    width: int | None
    height: int | None
    email: str | None
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    duration_seconds: float | None = None  # MP4 uploads (supplement §3)

    @property
    def is_video(self) -> bool:
        return "-video:" in self.media_generation_id or self.duration_seconds is not None

    @classmethod
    def from_json(cls, data: Any) -> UploadedAsset:
        if not isinstance(data, dict):
            raise MalformedResponse("asset upload body is not an object")
        mgid = data.get("mediaGenerationId")
        if isinstance(mgid, dict):
            mgid = mgid.get("mediaGenerationId")
        if not isinstance(mgid, str) or not mgid:
            raise MalformedResponse("asset upload body has no mediaGenerationId")
        newer = _dict(data.get("media"))
        video = _dict(newer.get("video"))
        dims = _dict(_dict(newer.get("image")).get("dimensions")) or _dict(video.get("dimensions"))
        duration = _first(
            data.get("durationSeconds"),
            _dict(video.get("userUploadedVideo")).get("durationSeconds"),
        )
        return cls(
            media_generation_id=mgid,
            width=_int(_first(data.get("width"), dims.get("width"))),
            height=_int(_first(data.get("height"), dims.get("height"))),
            email=_str(data.get("email")),
            payload=data,
            duration_seconds=_float(duration),
        )


# --- generated media ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaItem:
    """One generated image or video, whichever response form it came in.

    ``url`` is the signed media URL (``fifeUrl`` / ``videoUrl`` / ``uri``) and ``encoded`` the
    inline base64 (``encodedImage`` / ``rawBytes``) when the API sent the bytes instead.
    ``thumbnail_url`` is ``servingBaseUri`` / ``thumbnailUrl``. ``status`` is Google's media or
    operation status (``MEDIA_GENERATION_STATUS_SUCCESSFUL`` …) when given.
    """

    kind: str
    media_generation_id: str | None
    url: str | None = None
    encoded: str | None = field(default=None, repr=False)
    thumbnail_url: str | None = None
    seed: int | None = None
    prompt: str | None = None
    model: str | None = None
    aspect_ratio: str | None = None
    status: str | None = None
    error: str | None = None
    name: str | None = None
    scene_id: str | None = None
    file: str | None = None  # where an inline value was decoded while streaming (client)
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.error) or (self.status or "").endswith("FAILED")

    @property
    def has_content(self) -> bool:
        return bool(self.url or self.encoded or self.file)

    def problem(self) -> str | None:
        """Why this item cannot become a result, in words (None when it can, or when it is a
        failed item the caller reports as such): no URL and no inline bytes, or a video model
        key the catalog does not know."""
        if self.failed:
            return None
        what = self.kind if self.kind in ("image", "video") else "result"
        ident = self.media_generation_id or "without an id"
        if not self.has_content:
            if what == "image":
                return f"image {ident} came back with neither fifeUrl nor encodedImage"
            return f"{what} {ident} came back with neither a URL (videoUrl/fifeUrl) nor its bytes"
        if self.kind == "video" and self.model and not catalog.is_known_media_model(self.model):
            return f"video {ident} names an unknown model key {self.model!r}"
        return None

    def decode(self) -> bytes | None:
        """The inline bytes (``encodedImage`` / ``rawBytes``), or None when only a URL is given."""
        if self.encoded is None:
            return None
        text = self.encoded.replace("-", "+").replace("_", "/")
        text = "".join(text.split())
        text += "=" * (-len(text) % 4)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedResponse(
                f"inline media of {self.media_generation_id} is not base64"
            ) from exc

    def _merged(self, other: MediaItem) -> MediaItem:
        """This item with its missing fields filled from ``other`` (same media, other form)."""
        values = {}
        for name in self.__dataclass_fields__:
            if name == "payload":
                continue
            mine = getattr(self, name)
            values[name] = mine if mine is not None else getattr(other, name)
        return MediaItem(**values, payload=self.payload)

    @classmethod
    def from_media_entry(cls, data: Any) -> MediaItem:
        """An entry of ``media[]``: an image (``image.generatedImage``) or a newer video."""
        data = _dict(data)
        image = _dict(_dict(data.get("image")).get("generatedImage"))
        if image:
            return cls(
                kind="image",
                media_generation_id=_str(
                    _first(image.get("mediaGenerationId"), data.get("mediaGenerationId"))
                ),
                url=_str(_first(image.get("fifeUrl"), data.get("fifeUrl"), data.get("imageUrl"))),
                encoded=_str(_first(image.get("encodedImage"), data.get("encodedImage"))),
                thumbnail_url=_str(data.get("thumbnailUrl")),
                seed=_int(image.get("seed")),
                prompt=_str(image.get("prompt")),
                model=_str(_first(image.get("modelNameType"), image.get("model"))),
                aspect_ratio=_str(image.get("aspectRatio")),
                status=_str(data.get("status")),
                name=_str(data.get("name")),
                payload=data,
            )
        generated = _dict(_dict(data.get("video")).get("generatedVideo"))
        metadata = _dict(data.get("mediaMetadata"))
        status = _dict(metadata.get("mediaStatus")).get("mediaGenerationStatus")
        kind = "video" if (generated or data.get("videoUrl") or data.get("video")) else "unknown"
        if kind == "unknown" and (data.get("imageUrl") or data.get("encodedImage")):
            kind = "image"
        return cls(
            kind=kind,
            media_generation_id=_str(data.get("mediaGenerationId")),
            url=_str(_first(data.get("videoUrl"), data.get("imageUrl"), data.get("fifeUrl"))),
            encoded=_str(_first(data.get("rawBytes"), data.get("encodedImage"))) or None,
            thumbnail_url=_str(_first(data.get("thumbnailUrl"), data.get("servingBaseUri"))),
            seed=_int(_first(generated.get("seed"), data.get("seed"))),
            prompt=_str(
                _first(generated.get("prompt"), data.get("prompt"), metadata.get("mediaTitle"))
            ),
            model=_str(_first(generated.get("model"), data.get("model"))),
            aspect_ratio=_str(_first(generated.get("aspectRatio"), data.get("aspectRatio"))),
            status=_str(_first(status, data.get("status"))),
            name=_str(data.get("name")),
            payload=data,
        )

    @classmethod
    def from_operation(cls, data: Any) -> MediaItem:
        """An entry of ``operations[]`` (sync results, job records, upscales)."""
        data = _dict(data)
        operation = _dict(data.get("operation"))
        video = _dict(
            _first(_dict(operation.get("metadata")).get("video") or None, data.get("video"))
        )
        op_error = operation.get("error")
        error = None
        if isinstance(op_error, dict):
            error = _str(op_error.get("message")) or _str(op_error.get("code"))
        elif isinstance(op_error, str):
            error = op_error
        return cls(
            kind="video",
            media_generation_id=_str(
                _first(data.get("mediaGenerationId"), video.get("mediaGenerationId"))
            ),
            url=_str(_first(video.get("fifeUrl"), data.get("videoUrl"), video.get("uri"))),
            encoded=_str(data.get("rawBytes")) or None,  # "" when streamed to a file
            thumbnail_url=_str(_first(video.get("servingBaseUri"), data.get("thumbnailUrl"))),
            seed=_int(video.get("seed")),
            prompt=_str(video.get("prompt")),
            model=_str(video.get("model")),
            aspect_ratio=_str(video.get("aspectRatio")),
            status=_str(data.get("status")),
            error=error,
            name=_str(operation.get("name")),
            scene_id=_str(data.get("sceneId")),
            payload=data,
        )


def extract_media(container: Any) -> tuple[MediaItem, ...]:
    """Media of a result or job ``response``: ``media[]`` first, completed from ``operations[]``.

    Newer video upscales carry both lists for the same videos; entries are matched by
    ``mediaGenerationId`` (or by position when an id is missing) and merged, so each video
    appears once. ``operations[]`` alone (the documented form) is read as it is.
    """
    container = _dict(container)
    from_media = [MediaItem.from_media_entry(m) for m in _list(container.get("media"))]
    from_ops = [MediaItem.from_operation(o) for o in _list(container.get("operations"))]
    if not from_media:
        return tuple(from_ops)
    if not from_ops:
        return tuple(from_media)
    by_id = {op.media_generation_id: op for op in from_ops if op.media_generation_id}
    merged: list[MediaItem] = []
    for index, item in enumerate(from_media):
        partner = by_id.get(item.media_generation_id) if item.media_generation_id else None
        if partner is None and len(from_ops) == len(from_media):
            candidate = from_ops[index]  # pair by position only when an id is missing
            if not (item.media_generation_id and candidate.media_generation_id):
                partner = candidate
        merged.append(item._merged(partner) if partner else item)
    return tuple(merged)


@dataclass(frozen=True)
class GenerationResult:
    """A synchronous 200 result of POST /images, /videos, /videos/extend or /videos/upscale."""

    job_id: str | None
    media: tuple[MediaItem, ...]
    captcha: CaptchaInfo | None
    remaining_credits: int | None
    raw_bytes_written: int = 0
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def checked(self) -> GenerationResult:
        """This result, or :class:`InvalidAnswer` naming what makes it unusable."""
        for item in self.media:
            if self.raw_bytes_written and not item.has_content:
                continue  # its inline bytes were decoded into the caller's file
            words = item.problem()
            if words:
                raise InvalidAnswer(
                    f"the answer is not usable: {words}", user_message=f"Unusable answer: {words}."
                )
        return self

    @classmethod
    def from_json(cls, data: Any, *, raw_bytes_written: int = 0) -> GenerationResult:
        if not isinstance(data, dict):
            raise MalformedResponse("generation result is not an object")
        return cls(
            job_id=job_id_of(data),
            media=extract_media(data),
            captcha=CaptchaInfo.find(data),
            remaining_credits=_int(data.get("remainingCredits")),
            raw_bytes_written=raw_bytes_written,
            payload=data,
        )


@dataclass(frozen=True)
class Job:
    """A job record: GET /jobs/{jobId}, an async 201, or a webhook body (same shape).

    ``status`` is created | started | completed | failed (an unknown value is kept as sent).
    ``request`` is the API's echo of the request. ``error``/``code``/``reason`` describe a
    failed job.
    """

    job_id: str | None
    type: str | None
    status: str | None
    created: datetime | None
    updated: datetime | None
    request: dict[str, Any]
    media: tuple[MediaItem, ...]
    captcha: CaptchaInfo | None
    error: str | None
    error_details: str | None
    code: int | None
    reason: str | None
    remaining_credits: int | None
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_JOB_STATUSES

    @property
    def is_completed(self) -> bool:
        return self.status == "completed"

    @property
    def is_failed(self) -> bool:
        return self.status == "failed"

    @property
    def reply_ref(self) -> str | None:
        return _str(self.request.get("replyRef"))

    def checked(self) -> Job:
        """This record, or :class:`InvalidAnswer` when its status is not one the API documents
        or a completed job's media cannot be used."""
        if self.status not in JOB_STATUSES:
            words = (
                f"the job's status {self.status!r} is not one the API documents "
                f"({', '.join(JOB_STATUSES)})"
            )
            raise InvalidAnswer(
                words, user_message=f"Unusable answer: {words}.", job_id=self.job_id
            )
        if self.is_completed:
            for item in self.media:
                words = item.problem()
                if words:
                    raise InvalidAnswer(
                        f"the job's answer is not usable: {words}",
                        user_message=f"Unusable answer: {words}.",
                        job_id=self.job_id,
                    )
        return self

    @staticmethod
    def looks_like_job(data: Any) -> bool:
        """A job record (``jobid`` or a job status with the request echo), not a sync result."""
        if not isinstance(data, dict):
            return False
        if "jobid" in data:
            return True
        return data.get("status") in JOB_STATUSES and ("request" in data or "type" in data)

    @classmethod
    def from_json(cls, data: Any) -> Job:
        if not isinstance(data, dict):
            raise MalformedResponse("job record is not an object")
        response = _dict(data.get("response"))
        error = data.get("error")
        if isinstance(error, dict):
            error = error.get("message")
        return cls(
            job_id=job_id_of(data),
            type=_str(data.get("type")),
            status=_str(data.get("status")),
            created=parse_timestamp(data.get("created")),
            updated=parse_timestamp(data.get("updated")),
            request=_dict(data.get("request")),
            media=extract_media(response),
            captcha=CaptchaInfo.find(data),
            error=_str(error),
            error_details=_str(data.get("errorDetails")),
            code=_int(data.get("code")),
            reason=find_reason(data) if (error or response.get("error")) else None,
            remaining_credits=_int(response.get("remainingCredits")),
            payload=data,
        )


# --- files returned inline ----------------------------------------------------------------------


@dataclass(frozen=True)
class ImageUpscaleResult:
    """POST /images/upscale: the JPEG was written to the destination, ``bytes_written`` long."""

    bytes_written: int
    captcha: CaptchaInfo | None
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)


@dataclass(frozen=True)
class GifResult:
    """POST /videos/gif: the GIF was written to the destination."""

    bytes_written: int
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)


@dataclass(frozen=True)
class ConcatenateResult:
    """POST /videos/concatenate: the MP4 was written to the destination."""

    job_id: str | None
    status: str | None
    inputs_count: int | None
    bytes_written: int
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.bytes_written > 0 and not (self.status or "").endswith("FAILED")


@dataclass(frozen=True)
class ConcatItem:
    """One input of POST /videos/concatenate; trims are seconds (0-8)."""

    media_generation_id: str
    trim_start: float | None = None
    trim_end: float | None = None


# --- load balancing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountLoad:
    executing: int | None
    completed: int | None
    failed: int | None
    rate_limited: int | None
    avg_response_time_ms: float | None
    score: float | None

    @classmethod
    def from_json(cls, data: Any) -> AccountLoad:
        data = _dict(data)
        return cls(
            executing=_int(data.get("executing")),
            completed=_int(data.get("completed")),
            failed=_int(data.get("failed")),
            rate_limited=_int(data.get("rateLimited")),
            avg_response_time_ms=_float(data.get("avgResponseTime")),
            score=_float(data.get("score")),
        )


@dataclass(frozen=True)
class ExecutingJob:
    email: str | None
    started: datetime | None
    elapsed: str | None

    @classmethod
    def from_json(cls, data: Any) -> ExecutingJob:
        data = _dict(data)
        return cls(
            email=_str(data.get("email")),
            started=parse_timestamp(data.get("timestamp")),
            elapsed=_str(data.get("elapsed")),
        )


@dataclass(frozen=True)
class HistoryEntry:
    email: str | None
    finished: datetime | None
    http_status: int | None
    response_time_ms: int | None

    @classmethod
    def from_json(cls, data: Any) -> HistoryEntry:
        data = _dict(data)
        return cls(
            email=_str(data.get("email")),
            finished=parse_timestamp(data.get("timestamp")),
            http_status=_int(data.get("httpStatus")),
            response_time_ms=_int(data.get("responseTime")),
        )


def _entries(data: Any, parse: Any) -> dict[str, Any]:
    return {k: parse(v) for k, v in _dict(data).items() if isinstance(v, dict)}


@dataclass(frozen=True)
class JobStatsSection:
    summary: dict[str, AccountLoad]
    executing: dict[str, ExecutingJob]
    history: dict[str, HistoryEntry]

    @classmethod
    def from_json(cls, data: Any) -> JobStatsSection:
        data = _dict(data)
        return cls(
            summary=_entries(data.get("summary"), AccountLoad.from_json),
            executing=_entries(data.get("executing"), ExecutingJob.from_json),
            history=_entries(data.get("history"), HistoryEntry.from_json),
        )


@dataclass(frozen=True)
class JobStats:
    """GET /jobs: load-balancing figures per account for videos, images and both."""

    emails: tuple[str, ...]
    videos: JobStatsSection
    images: JobStatsSection
    combined: JobStatsSection
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> JobStats:
        if not isinstance(data, dict):
            raise MalformedResponse("job statistics body is not an object")
        return cls(
            emails=tuple(e for e in _list(data.get("emails")) if isinstance(e, str)),
            videos=JobStatsSection.from_json(data.get("videos")),
            images=JobStatsSection.from_json(data.get("images")),
            combined=JobStatsSection.from_json(data.get("combined")),
            payload=data,
        )


def concat_items(items: Sequence[ConcatItem | str | Mapping[str, Any]]) -> list[ConcatItem]:
    """Normalise concatenate inputs given as ConcatItem, bare ids or API-shaped dicts."""
    result = []
    for item in items:
        if isinstance(item, ConcatItem):
            result.append(item)
        elif isinstance(item, str):
            result.append(ConcatItem(item))
        elif isinstance(item, Mapping):
            result.append(
                ConcatItem(
                    item.get("mediaGenerationId", item.get("media_generation_id", "")),
                    item.get("trimStart", item.get("trim_start")),
                    item.get("trimEnd", item.get("trim_end")),
                )
            )
        else:
            result.append(ConcatItem(item))  # type: ignore[arg-type]  # validated later
    return result
