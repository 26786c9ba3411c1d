"""What the API reads (bodies that refuse unknown fields) and writes (plain JSON of our rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.urls import reverse
from ninja import Schema
from pydantic import ConfigDict, Field

from flowdash.useapi import validation as check

MAX_ID = 2**63 - 1
PositiveId = Annotated[int, Field(ge=1, le=MAX_ID)]


class Body(Schema):
    """A request body: a field the API does not know is a 400 naming it, never ignored."""

    model_config = ConfigDict(extra="forbid")


# --- bodies ------------------------------------------------------------------------------------


class _Generation(Body):
    prompt: str
    count: int = Field(1, ge=1, le=4)
    seed: int | None = Field(None, ge=0, le=MAX_ID)
    aspect_ratio: str = "landscape"
    account: int | None = Field(
        None, ge=1, le=MAX_ID, description="a Google account's id; none = auto"
    )
    captcha_retry: int | None = Field(None, ge=1, le=10)
    captcha_order: str | None = Field(None, max_length=500)


class ImageJobIn(_Generation):
    model: str | None = Field(
        None, description="imagen-4, nano-banana, nano-banana-pro; none = auto"
    )
    references: list[str] = Field(
        default_factory=list, description="images as 'asset:<id>' or 'media:<id>'", max_length=20
    )


class VideoJobIn(_Generation):
    model: str = check.DEFAULT_VIDEO_MODEL
    mode: str = Field("text", description="text, frames or references")
    start: str | None = Field(None, description="start frame: 'asset:<id>' or 'media:<id>'")
    end: str | None = Field(None, description="end frame (with a start frame)")
    references: list[str] = Field(default_factory=list, max_length=20)


class ImageUpscaleIn(Body):
    media: PositiveId
    resolution: str = "2k"


class VideoUpscaleIn(Body):
    media: PositiveId
    resolution: str = "1080p"


class ExtendIn(Body):
    media: PositiveId
    prompt: str
    model: str = "veo-3.1-fast"
    count: int = Field(1, ge=1, le=4)
    seed: int | None = Field(None, ge=0, le=MAX_ID)


class GifIn(Body):
    media: PositiveId


class ClipIn(Body):
    media: PositiveId
    trim_start: float | None = Field(None, ge=0, le=8, allow_inf_nan=False)
    trim_end: float = Field(0, ge=0, le=8, allow_inf_nan=False)


class ConcatenateIn(Body):
    clips: list[ClipIn] = Field(min_length=1, max_length=50)


# --- answers -----------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorDetail


class JobOut(Schema):
    id: int
    uuid: str
    kind: str
    status: str
    status_words: str
    params: dict[str, Any]
    account: str
    requested_by: str | None
    error_message: str
    attention_reason: str
    created_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None
    media: list[int]
    files_ready: bool = Field(description="completed, and every result file is stored")
    waiting: bool = Field(
        description="still queued or running, or completed with files being stored: ask again"
    )
    url: str


class JobPage(Schema):
    items: list[JobOut]
    page: int
    pages: int
    total: int


class MediaOut(Schema):
    id: int
    kind: str
    prompt: str
    model: str
    seed: int | None
    aspect_ratio: str
    width: int | None
    height: int | None
    duration_seconds: float | None
    content_type: str
    file_size: int | None
    download_status: str
    account: str
    job: int | None
    created_at: datetime
    file_url: str
    url: str


class MediaPage(Schema):
    items: list[MediaOut]
    next_cursor: str | None
    notices: list[str]


class AssetOut(Schema):
    id: int
    sha256: str
    content_type: str
    size: int
    width: int
    height: int
    original_name: str
    created_at: datetime
    created: bool = False


class Queued(Schema):
    detail: str


def job_out(job) -> dict:
    from flowdash.jobs.models import ACTIVE

    media = list(job.media.all())
    files_ready = (
        job.status == job.Status.COMPLETED
        and bool(media)
        and all(m.download_status == m.Download.STORED for m in media)
    )
    return {
        "id": job.pk,
        "uuid": str(job.uuid),
        "kind": job.kind,
        "status": job.status,
        "status_words": job.status_words,
        "params": job.params or {},
        "account": job.account_email or (job.account.email if job.account_id else ""),
        "requested_by": job.requested_by.username if job.requested_by_id else None,
        "error_message": job.error_message,
        "attention_reason": job.attention_reason,
        "created_at": job.created_at,
        "submitted_at": job.submitted_at,
        "finished_at": job.finished_at,
        "media": sorted(m.pk for m in media),
        "files_ready": files_ready,
        "waiting": job.status in ACTIVE or (job.status == job.Status.COMPLETED and not files_ready),
        "url": reverse("jobs:detail", args=[job.pk]),
    }


def media_out(media) -> dict:
    return {
        "id": media.pk,
        "kind": media.kind,
        "prompt": media.prompt,
        "model": media.model,
        "seed": media.seed,
        "aspect_ratio": media.aspect_ratio,
        "width": media.width,
        "height": media.height,
        "duration_seconds": media.duration_seconds,
        "content_type": media.content_type,
        "file_size": media.file_size,
        "download_status": media.download_status,
        "account": media.account_email,
        "job": media.job_id,
        "created_at": media.created_at,
        "file_url": f"/api/v1/media/{media.pk}/file",
        "url": media.get_absolute_url(),
    }


def asset_out(asset, created: bool = False) -> dict:
    return {
        "id": asset.pk,
        "sha256": asset.sha256,
        "content_type": asset.content_type,
        "size": asset.size,
        "width": asset.width,
        "height": asset.height,
        "original_name": asset.original_name,
        "created_at": asset.created_at,
        "created": created,
    }
