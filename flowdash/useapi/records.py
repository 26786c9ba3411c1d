"""Tolerant readers of the API's JSON, and the two things every result and error carries.

The small readers (``_str``, ``_int`` …) turn a field into a value or None, never raising.
:class:`CaptchaInfo` is the ``captcha`` block and :func:`job_id_of` the job id (``jobid`` or
``jobId``); :mod:`flowdash.useapi.errors` and :mod:`flowdash.useapi.types` both read them, so
they live below both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["CaptchaAttempt", "CaptchaInfo", "job_id_of", "parse_timestamp"]


# --- small readers ------------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601 text (``2025-11-17T12:34:56.789Z``) or epoch milliseconds → aware datetime."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _first(*values: Any) -> Any:
    for value in values:
        if value is not None:
            return value
    return None


def job_id_of(payload: Mapping[str, Any]) -> str | None:
    """The job id, spelled ``jobid`` (job records) or ``jobId`` (sync results)."""
    return _str(_first(payload.get("jobId"), payload.get("jobid")))


# --- captcha ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptchaAttempt:
    service: str | None
    task_id: str | None
    duration_ms: int | None
    success: bool | None
    error: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> CaptchaAttempt:
        data = _dict(data)
        return cls(
            service=_str(data.get("service")),
            task_id=_str(data.get("taskId")),
            duration_ms=_int(data.get("durationMs")),
            success=_bool(data.get("success")),
            error=_str(data.get("error")),
        )


@dataclass(frozen=True)
class CaptchaInfo:
    """The ``captcha`` block: the provider that gave the final token and every attempt."""

    service: str | None
    task_id: str | None
    duration_ms: int | None
    attempts: tuple[CaptchaAttempt, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> CaptchaInfo | None:
        if not isinstance(data, dict):
            return None
        return cls(
            service=_str(data.get("service")),
            task_id=_str(data.get("taskId")),
            duration_ms=_int(data.get("durationMs")),
            attempts=tuple(CaptchaAttempt.from_json(a) for a in _list(data.get("attempts"))),
        )

    @classmethod
    def find(cls, payload: Any) -> CaptchaInfo | None:
        """The captcha block at the top level or under ``response``."""
        payload = _dict(payload)
        block = payload.get("captcha")
        if block is None:
            block = _dict(payload.get("response")).get("captcha")
        return cls.from_json(block)
