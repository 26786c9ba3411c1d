"""Checks the client makes before sending, for what the API reference documents as invalid.

Each check raises :class:`~flowdash.useapi.errors.RequestValidationError` naming the API
parameter and the rule in words. Only rules the reference (2026-02) or the supplement (2026-12,
§4.1, §5.2, §11) state are enforced, per era, from :mod:`flowdash.useapi.catalog`; for a model
the era's catalog does not know the client does not guess and lets the API decide.

The mutual exclusions of POST /videos (supplement §5.2, §11), in words:

* ``endImage`` needs ``startImage``;
* reference images (``referenceImage_N``) are not combined with a start or end frame;
* ``referenceVideo_1`` (a V2V edit) needs a model that edits video (``omni-flash``), takes no
  start or end frame and no ``duration`` (its length is the frame window), and at most 5
  reference images;
* ``startFrameIndex_1`` / ``endFrameIndex_1`` only with ``referenceVideo_1``; start 0-239, end
  1-240 (240 frames = 10 s at 24 fps) and after the start;
* ``duration`` is one the model offers in that mode (Veo 4/6/8 for text and frames, 8 with
  references, quality 8 only; omni 4-10);
* ``resolution`` is one the model offers (360p is omni-flash only);
* ``aspectRatio`` is one the model offers; for images ``auto`` needs at least one reference;
* at most one of ``captchaRetry``, ``captchaOrder`` and ``captchaToken``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from flowdash.useapi import catalog
from flowdash.useapi.errors import RequestValidationError
from flowdash.useapi.types import ConcatItem

# POST /images: documented reference limits per model (2026-02; the catalog has both eras).
IMAGE_REFERENCE_LIMITS = {
    m.name: m.max_references for m in catalog.models("image", catalog.ERA_2026_02)
}
MAX_IMAGE_REFERENCES = 10  # reference_1 … reference_10 are the only slots
# POST /videos R2V limits of every model of both eras (the names agree where they overlap).
VIDEO_REFERENCE_LIMITS = {
    m.name: m.max_references for e in catalog.ERAS for m in catalog.models("video", e)
}
DEFAULT_VIDEO_MODEL = "veo-3.1-fast"
MAX_VIDEO_REFERENCES = 7
ASSET_CONTENT_TYPES = ("image/png", "image/jpeg")  # the documented contract (2026-02)
# Since Jun 2026 (supplement §3): WebP images and MP4 videos (the V2V source), with their limits.
ASSET_LIMITS = {
    "image/png": 20 * 1024 * 1024,
    "image/jpeg": 20 * 1024 * 1024,
    "image/webp": 20 * 1024 * 1024,
    "video/mp4": 100 * 1024 * 1024,
}
MAX_ASSET_BYTES = 20 * 1024 * 1024  # "File size (25165824) is over 20971520 bytes"
JOB_OPTIONS = ("summary", "executing", "history")
IMAGE_UPSCALE_RESOLUTIONS = ("2k", "4k")
VIDEO_UPSCALE_RESOLUTIONS = ("1080p", "4K")
MAX_STATS_LIMIT = 50_000
MAX_REPLY_LENGTH = 1024
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def text(param: str, value: Any) -> str:
    """A required, non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise RequestValidationError(param, "must be a non-empty string")
    return value


def optional_text(param: str, value: Any) -> str | None:
    return None if value is None else text(param, value)


def count(value: Any) -> int | None:
    if value is None:
        return None
    if not _is_int(value) or not 1 <= value <= 4:
        raise RequestValidationError("count", "must be an integer from 1 to 4")
    return value


def seed(value: Any) -> int | None:
    if value is None:
        return None
    if not _is_int(value) or value < 0:
        raise RequestValidationError("seed", "must be an integer ≥ 0")
    return value


def captcha_params(retry: Any, order: Any, token: Any) -> dict[str, Any]:
    """At most one of ``captchaRetry`` (1-10), ``captchaOrder`` (≤10) and ``captchaToken``."""
    given = [
        name
        for name, value in (
            ("captchaRetry", retry),
            ("captchaOrder", order),
            ("captchaToken", token),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise RequestValidationError(given[1], f"cannot be combined with {given[0]}")
    if retry is not None:
        if not _is_int(retry) or not 1 <= retry <= 10:
            raise RequestValidationError("captchaRetry", "must be an integer from 1 to 10")
        return {"captchaRetry": retry}
    if order is not None:
        if isinstance(order, Sequence) and not isinstance(order, str):
            order = ",".join(order)
        entries = [e.strip() for e in text("captchaOrder", order).split(",")]
        if any(not e for e in entries):
            raise RequestValidationError("captchaOrder", "has an empty provider name")
        if len(entries) > 10:
            raise RequestValidationError("captchaOrder", "may name at most 10 providers")
        return {"captchaOrder": ",".join(entries)}
    if token is not None:
        return {"captchaToken": text("captchaToken", token)}
    return {}


def reply_params(reply_url: Any, reply_ref: Any) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if reply_url is not None:
        text("replyUrl", reply_url)
        parts = urlsplit(reply_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RequestValidationError("replyUrl", "must be an absolute http(s) URL")
        if len(reply_url) > MAX_REPLY_LENGTH:
            raise RequestValidationError("replyUrl", f"must be at most {MAX_REPLY_LENGTH} chars")
        params["replyUrl"] = reply_url
    if reply_ref is not None:
        if not isinstance(reply_ref, str):
            raise RequestValidationError("replyRef", "must be a string")
        if len(reply_ref) > MAX_REPLY_LENGTH:
            raise RequestValidationError("replyRef", f"must be at most {MAX_REPLY_LENGTH} chars")
        params["replyRef"] = reply_ref
    return params


def _ids(param: str, values: Sequence[Any]) -> list[str]:
    if isinstance(values, str):
        raise RequestValidationError(param, "must be a list of mediaGenerationId values")
    return [text(f"{param}{i}", v) for i, v in enumerate(values, start=1)]


def image_references(
    model: str | None, references: Sequence[Any], era: str | None = catalog.ERA_2026_02
) -> list[str]:
    """``reference_1…`` for POST /images: at most 10 slots, and the model's own limit (the
    model the API picks by itself when ``model`` is omitted)."""
    refs = _ids("reference_", references)
    if len(refs) > MAX_IMAGE_REFERENCES:
        raise RequestValidationError("reference_11", "at most 10 reference images are accepted")
    name = model or catalog.auto_image_model(len(refs), era)
    found = catalog.resolve(name, era)
    limit = found.max_references if found is not None and found.is_image else None
    if limit is not None and len(refs) > limit:
        raise RequestValidationError(
            f"reference_{limit + 1}", f"{name} accepts at most {limit} reference images"
        )
    return refs


def image_aspect_ratio(value: Any, references: int, era: str | None) -> str | None:
    """``aspectRatio`` of POST /images: one the era offers; ``auto`` only with a reference."""
    ratio = optional_text("aspectRatio", value)
    if ratio is None:
        return None
    allowed = catalog.era(era).image_aspect_ratios
    if ratio not in allowed:
        raise RequestValidationError("aspectRatio", f"must be one of {', '.join(allowed)}")
    if ratio == catalog.AUTO_ASPECT and references == 0:
        raise RequestValidationError(
            "aspectRatio", "auto takes the ratio of the first reference: add a reference image"
        )
    return ratio


def video_frames(
    model: str | None,
    start_image: Any,
    end_image: Any,
    reference_images: Sequence[Any],
    era: str | None = catalog.ERA_2026_02,
    *,
    v2v: bool = False,
) -> tuple[str | None, str | None, list[str]]:
    """Start/end frames and ``referenceImage_N`` of POST /videos, with the model's limit."""
    start = optional_text("startImage", start_image)
    end = optional_text("endImage", end_image)
    refs = _ids("referenceImage_", reference_images)
    if end is not None and start is None:
        raise RequestValidationError("endImage", "requires startImage")
    if refs and (start is not None or end is not None):
        which = "startImage" if start is not None else "endImage"
        raise RequestValidationError(
            "referenceImage_1", f"reference images cannot be combined with {which}"
        )
    if len(refs) > MAX_VIDEO_REFERENCES:
        raise RequestValidationError(
            f"referenceImage_{MAX_VIDEO_REFERENCES + 1}",
            f"at most {MAX_VIDEO_REFERENCES} reference images are accepted",
        )
    name = model or DEFAULT_VIDEO_MODEL
    found = catalog.resolve(name, era)
    if found is not None and found.is_video:
        limit = found.reference_limit(catalog.V2V if v2v else catalog.R2V)
    else:
        limit = VIDEO_REFERENCE_LIMITS.get(name) if era == catalog.ERA_2026_02 else None
    if limit is not None and len(refs) > limit:
        if limit == 0:
            message = f"{name} does not take reference images"
        elif v2v:
            message = f"a V2V edit with {name} accepts at most {limit} reference images"
        else:
            message = f"{name} accepts at most {limit} reference images"
        raise RequestValidationError(f"referenceImage_{limit + 1}", message)
    return start, end, refs


def _frame_index(param: str, value: Any, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not _is_int(value) or not low <= value <= high:
        raise RequestValidationError(param, f"must be a whole frame number from {low} to {high}")
    return value


def video_edit(
    model: str | None,
    reference_video: Any,
    start_frame: Any,
    end_frame: Any,
    *,
    start_image: Any,
    era: str | None,
) -> dict[str, Any]:
    """``referenceVideo_1`` and its frame window (a V2V edit, supplement §5.2)."""
    video = optional_text("referenceVideo_1", reference_video)
    if video is None:
        for param, value in (("startFrameIndex_1", start_frame), ("endFrameIndex_1", end_frame)):
            if value is not None:
                raise RequestValidationError(param, "only goes with referenceVideo_1 (V2V)")
        return {}
    name = model or DEFAULT_VIDEO_MODEL
    found = catalog.resolve(name, era)
    if found is None and era == catalog.ERA_2026_02:
        raise RequestValidationError(
            "referenceVideo_1", "V2V edits do not exist in the 2026-02 API"
        )
    if found is not None and not found.takes_mode(catalog.V2V):
        raise RequestValidationError(
            "referenceVideo_1", f"a V2V edit needs model=omni-flash; {name} cannot edit a video"
        )
    if start_image is not None:
        raise RequestValidationError(
            "referenceVideo_1", "a V2V edit cannot be combined with startImage or endImage"
        )
    first = _frame_index("startFrameIndex_1", start_frame, 0, catalog.MAX_V2V_FRAMES - 1)
    last = _frame_index("endFrameIndex_1", end_frame, 1, catalog.MAX_V2V_FRAMES)
    if first is not None and last is not None and last <= first:
        raise RequestValidationError("endFrameIndex_1", "must come after startFrameIndex_1")
    body: dict[str, Any] = {"referenceVideo_1": video}
    if first is not None:
        body["startFrameIndex_1"] = first
    if last is not None:
        body["endFrameIndex_1"] = last
    return body


def video_options(
    model: str | None,
    *,
    aspect_ratio: Any,
    duration: Any,
    resolution: Any,
    mode: str,
    era: str | None,
) -> dict[str, Any]:
    """``aspectRatio``, ``duration`` and ``resolution`` of POST /videos for the model and mode."""
    name = model or DEFAULT_VIDEO_MODEL
    found = catalog.resolve(name, era)
    known = found is not None and found.is_video
    body: dict[str, Any] = {}
    ratio = optional_text("aspectRatio", aspect_ratio)
    if ratio is not None:
        if known and ratio not in found.aspect_ratios:
            raise RequestValidationError(
                "aspectRatio", f"{name} offers {', '.join(found.aspect_ratios)}"
            )
        body["aspectRatio"] = ratio
    if duration is not None:
        if not _is_int(duration):
            raise RequestValidationError("duration", "must be a whole number of seconds")
        if known:
            if mode == catalog.V2V:
                raise RequestValidationError(
                    "duration", "a V2V edit takes no duration: its length is the frame window"
                )
            offered = found.durations_for(mode)
            if not offered:
                raise RequestValidationError(
                    "duration", f"{name} takes no duration in the {catalog.era(era).name} API"
                )
            if duration not in offered:
                listed = ", ".join(str(d) for d in offered)
                raise RequestValidationError(
                    "duration", f"{name} in {mode} mode offers {listed} seconds"
                )
        body["duration"] = duration
    res = optional_text("resolution", resolution)
    if res is not None:
        if known:
            if not found.resolutions:
                raise RequestValidationError(
                    "resolution", f"{name} takes no resolution in the {catalog.era(era).name} API"
                )
            if res not in found.resolutions:
                raise RequestValidationError(
                    "resolution",
                    f"{name} offers {', '.join(found.resolutions)} (360p is omni only)",
                )
        body["resolution"] = res
    return body


def concat_media(items: Sequence[ConcatItem]) -> list[dict[str, Any]]:
    if not 2 <= len(items) <= 10:
        raise RequestValidationError("media", "must list from 2 to 10 videos")
    media = []
    for index, item in enumerate(items):
        if not isinstance(item, ConcatItem):
            raise RequestValidationError(f"media[{index}]", "must be a video reference")
        entry: dict[str, Any] = {
            "mediaGenerationId": text(f"media[{index}].mediaGenerationId", item.media_generation_id)
        }
        for name, value in (("trimStart", item.trim_start), ("trimEnd", item.trim_end)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 8:
                raise RequestValidationError(f"media[{index}].{name}", "must be 0 to 8 seconds")
            entry[name] = value
        media.append(entry)
    return media


def asset(content_type: Any, size: int | None, era: str | None = catalog.ERA_2026_02) -> str:
    """POST /assets: a type the era accepts (2026-02: PNG/JPEG; 2026-12: also WebP, MP4) and a
    size within its limit (20 MB images, 100 MB MP4)."""
    allowed = ASSET_CONTENT_TYPES if era == catalog.ERA_2026_02 else tuple(ASSET_LIMITS)
    if content_type not in allowed:
        raise RequestValidationError("Content-Type", f"must be one of {', '.join(allowed)}")
    limit = ASSET_LIMITS[content_type]
    if size is not None:
        if size == 0:
            raise RequestValidationError("body", "the file is empty")
        if size > limit:
            raise RequestValidationError("body", f"file size ({size}) is over {limit} bytes")
    return content_type


def stats_query(date: Any, limit: Any, provider: Any, anonymized: Any) -> dict[str, str]:
    query: dict[str, str] = {}
    if date is not None:
        if isinstance(date, dt.datetime):
            raise RequestValidationError("date", "must be a date (YYYY-MM-DD), not a datetime")
        if isinstance(date, dt.date):
            date = date.isoformat()
        if not isinstance(date, str) or not _DATE.match(date):
            raise RequestValidationError("date", "must be in YYYY-MM-DD format")
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            raise RequestValidationError("date", "is not a real calendar date") from None
        query["date"] = date
    if limit is not None:
        if not _is_int(limit) or not 1 <= limit <= MAX_STATS_LIMIT:
            raise RequestValidationError("limit", f"must be an integer from 1 to {MAX_STATS_LIMIT}")
        query["limit"] = str(limit)
    if provider is not None:
        query["provider"] = text("provider", provider)
    if anonymized:
        query["anonymized"] = "true"
    return query


def job_options(options: Any) -> str:
    if options not in JOB_OPTIONS:
        raise RequestValidationError("options", "must be summary, executing or history")
    return options


def image_upscale_resolution(value: Any) -> str:
    if not isinstance(value, str) or value.lower() not in IMAGE_UPSCALE_RESOLUTIONS:
        raise RequestValidationError("resolution", "must be 2k or 4k")
    return value.lower()


def video_upscale_resolution(value: Any) -> str:
    if not isinstance(value, str) or value.lower() not in ("1080p", "4k"):
        raise RequestValidationError("resolution", "must be 1080p or 4K")
    return "4K" if value.lower() == "4k" else "1080p"


def merge_extra(body: dict[str, Any], extra: Any) -> dict[str, Any]:
    """Add newer parameters the typed signature does not name (e.g. ``duration``)."""
    if not extra:
        return body
    for key, value in dict(extra).items():
        if key in body:
            raise RequestValidationError(key, "is already set by a named argument")
        if value is not None:
            body[key] = value
    return body
