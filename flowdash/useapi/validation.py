"""Checks the client makes before sending, for what the API reference documents as invalid.

Each check raises :class:`~flowdash.useapi.errors.RequestValidationError` naming the API
parameter. Only rules the reference states are enforced; for values the newer service accepts
(unknown model keys, new aspect ratios) the client does not guess and lets the API decide.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from flowdash.useapi.errors import RequestValidationError
from flowdash.useapi.types import ConcatItem

# POST /images: documented reference limits per model; other models are left to the API.
IMAGE_REFERENCE_LIMITS = {"imagen-4": 3, "nano-banana": 3, "nano-banana-pro": 10}
MAX_IMAGE_REFERENCES = 10  # reference_1 … reference_10 are the only slots
# POST /videos: Veo R2V takes referenceImage_1…_3 (veo-3.1-quality has no R2V at all); the
# newer omni models take up to 7 slots.
VIDEO_REFERENCE_LIMITS = {
    "veo-3.1-fast": 3,
    "veo-3.1-fast-relaxed": 3,
    "veo-3.1-lite": 3,
    "veo-3.1-lite-low-priority": 3,
    "veo-3.1-quality": 0,
}
DEFAULT_VIDEO_MODEL = "veo-3.1-fast"
MAX_VIDEO_REFERENCES = 7
ASSET_CONTENT_TYPES = ("image/png", "image/jpeg")
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


def image_references(model: str | None, references: Sequence[Any]) -> list[str]:
    refs = _ids("reference_", references)
    if len(refs) > MAX_IMAGE_REFERENCES:
        raise RequestValidationError("reference_11", "at most 10 reference images are accepted")
    limit = IMAGE_REFERENCE_LIMITS.get(model) if model else None
    if limit is not None and len(refs) > limit:
        raise RequestValidationError(
            f"reference_{limit + 1}", f"{model} accepts at most {limit} reference images"
        )
    return refs


def video_frames(
    model: str | None, start_image: Any, end_image: Any, reference_images: Sequence[Any]
) -> tuple[str | None, str | None, list[str]]:
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
    limit = VIDEO_REFERENCE_LIMITS.get(model or DEFAULT_VIDEO_MODEL)
    if limit is not None and len(refs) > limit:
        if limit == 0:
            message = f"{model} does not take reference images"
        else:
            message = f"{model or DEFAULT_VIDEO_MODEL} accepts at most {limit} reference images"
        raise RequestValidationError(f"referenceImage_{limit + 1}", message)
    return start, end, refs


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


def asset(content_type: Any, size: int | None) -> str:
    if content_type not in ASSET_CONTENT_TYPES:
        raise RequestValidationError("Content-Type", "must be image/png or image/jpeg")
    if size is not None:
        if size == 0:
            raise RequestValidationError("body", "the file is empty")
        if size > MAX_ASSET_BYTES:
            raise RequestValidationError(
                "body", f"file size ({size}) is over {MAX_ASSET_BYTES} bytes"
            )
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
