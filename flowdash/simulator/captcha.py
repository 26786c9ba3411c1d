"""Captcha providers, simulated solving and the statistics of GET /accounts/captcha-stats.

Row shape of captcha-stats (a documented gap, our assumption): one row per solve attempt,
``{timestamp, date, provider, taskId, durationMs, success, error?, jobId, email, paygateTier,
endpoint, attempt}``, returned under ``rows``. Summary keys beyond the documented ``from``,
``to``, ``time_span``, ``sample_size_by_provider``, ``success_rate_by_provider`` and
``sample_size_by_tier`` are ``success_rate_by_tier`` and ``avg_duration_ms_by_provider``.
Records are visible at once (the service's 5-15 min latency and 5 min cache are not modelled).
"""

from __future__ import annotations

import random
import re
import threading
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from .accounts import iso

PROVIDERS = (
    "EzCaptcha",
    "CapSolver",
    "YesCaptcha",
    "AntiCaptcha",
    "CapMonster",
    "SolveCaptcha",
    "2Captcha",
)
STATS_PROVIDERS = (*PROVIDERS, "UserProvided")
SLOW_PROVIDERS = {"SolveCaptcha", "2Captcha"}
FREE_PROVIDER = "CapSolver"
USER_PROVIDED = "UserProvided"
REJECTED = "reCAPTCHA evaluation failed"
DEFAULT_RETRY = 3
RETENTION_SECONDS = 90 * 86400


class CaptchaError(ValueError):
    """A validation error with the status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def time_span(seconds: float) -> str:
    seconds = int(max(0, seconds))
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size:
            n, seconds = divmod(seconds, size)
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return " ".join(parts[:2]) or "0 seconds"


class CaptchaDesk:
    def __init__(self, free_credits: int = 100) -> None:
        self.keys: dict[str, str] = {}
        self.free_credits = free_credits
        self.records: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    # ---- providers
    def masked(self) -> dict[str, Any]:
        with self._lock:
            body: dict[str, Any] = {
                name: f"{self.keys[name][:5]}…" for name in PROVIDERS if name in self.keys
            }
            if not body and self.free_credits > 0:
                body["freeCaptchaCredits"] = self.free_credits
            return body

    def set_keys(self, body: Any) -> None:
        if not isinstance(body, dict) or not body:
            raise CaptchaError(
                'Request body must be an object of provider keys, e.g. {"CapSolver": "…"}'
            )
        for name, value in body.items():
            if name not in PROVIDERS:
                raise CaptchaError(
                    f"Unknown captcha provider: {name}. Supported: {', '.join(PROVIDERS)}"
                )
            if value is not None and not isinstance(value, str):
                raise CaptchaError(f"{name} API key must be a string")
        with self._lock:
            for name, value in body.items():
                if value is None or not value.strip():
                    self.keys.pop(name, None)
                else:
                    self.keys[name] = value.strip()

    # ---- planning attempts
    def plan(self, body: dict[str, Any]) -> list[str]:
        """Validate the captcha fields of a request; return the provider of each attempt."""
        present = [
            k
            for k in ("captchaToken", "captchaRetry", "captchaOrder")
            if body.get(k) not in (None, "")
        ]
        if len(present) > 1:
            if "captchaToken" in present:
                raise CaptchaError(
                    "captchaToken, captchaRetry and captchaOrder are mutually exclusive"
                )
            raise CaptchaError("captchaRetry and captchaOrder are mutually exclusive")
        if "captchaToken" in present:
            if not isinstance(body["captchaToken"], str):
                raise CaptchaError("captchaToken must be a string")
            return [USER_PROVIDED]
        with self._lock:
            configured = [name for name in PROVIDERS if name in self.keys]
        if "captchaOrder" in present:
            raw = body["captchaOrder"]
            if not isinstance(raw, str):
                raise CaptchaError("captchaOrder must be a comma-separated string")
            names = [n.strip() for n in raw.split(",") if n.strip()]
            if not names or len(names) > 10:
                raise CaptchaError("captchaOrder must list between 1 and 10 providers")
            for name in names:
                if name not in PROVIDERS:
                    raise CaptchaError(f"captchaOrder: unknown captcha provider {name}")
                if name not in configured:
                    raise CaptchaError(f"captchaOrder: provider {name} has no API key configured")
            return names
        retry = DEFAULT_RETRY
        if "captchaRetry" in present:
            value = _int(body["captchaRetry"])
            if value is None or not 1 <= value <= 10:
                raise CaptchaError("captchaRetry must be an integer between 1 and 10")
            retry = value
        if configured:
            return [configured[i % len(configured)] for i in range(retry)]
        with self._lock:
            if self.free_credits <= 0:
                raise CaptchaError(
                    "No captcha provider configured and no free captcha credits left; add a "
                    "provider key with POST /accounts/captcha-providers",
                    status=402,
                )
        return [FREE_PROVIDER] * retry

    def uses_free_credit(self, provider: str) -> bool:
        with self._lock:
            if provider != FREE_PROVIDER or self.keys:
                return False
            if self.free_credits <= 0:
                return False
            self.free_credits -= 1
            return True

    @staticmethod
    def duration_ms(provider: str, rng: random.Random) -> int:
        if provider == USER_PROVIDED:
            return 0
        if provider in SLOW_PROVIDERS:
            return rng.randint(20000, 45000)
        return rng.randint(3000, 9000)

    @staticmethod
    def task_id() -> str:
        return str(uuid.uuid4())

    # ---- statistics
    def record(self, row: dict[str, Any]) -> None:
        with self._lock:
            self.records.append(row)
            if len(self.records) > 60000:
                del self.records[:10000]

    def clear(self, free_credits: int) -> None:
        with self._lock:
            self.keys.clear()
            self.records.clear()
            self.free_credits = free_credits

    @staticmethod
    def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
        by_provider: dict[str, list[dict[str, Any]]] = defaultdict(list)
        by_tier: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_provider[row["provider"]].append(row)
            by_tier[row["paygateTier"]].append(row)

        def rate(items: list[dict[str, Any]]) -> float:
            return round(100.0 * sum(1 for r in items if r["success"]) / len(items), 2)

        first = min((r["_ts"] for r in rows), default=None)
        last = max((r["_ts"] for r in rows), default=None)
        return {
            "from": iso(first) if first is not None else None,
            "to": iso(last) if last is not None else None,
            "time_span": time_span((last - first) if rows else 0),
            "sample_size_by_provider": {k: len(v) for k, v in sorted(by_provider.items())},
            "success_rate_by_provider": {k: rate(v) for k, v in sorted(by_provider.items())},
            "avg_duration_ms_by_provider": {
                k: round(sum(r["durationMs"] for r in v) / len(v))
                for k, v in sorted(by_provider.items())
            },
            "sample_size_by_tier": {k: len(v) for k, v in sorted(by_tier.items())},
            "success_rate_by_tier": {k: rate(v) for k, v in sorted(by_tier.items())},
        }

    def stats(self, query: dict[str, str], now: float) -> dict[str, Any]:
        """GET /accounts/captcha-stats; raises CaptchaError on invalid parameters."""
        day = query.get("date")
        if day is not None:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                    raise ValueError
                date.fromisoformat(day)
            except ValueError as exc:
                raise CaptchaError("Invalid date format. Use YYYY-MM-DD") from exc
        limit = None
        if query.get("limit") is not None:
            limit = _int(query["limit"])
            if limit is None or not 1 <= limit <= 50000:
                raise CaptchaError("limit must be an integer between 1 and 50000")
        provider = query.get("provider")
        if provider is not None and provider not in STATS_PROVIDERS:
            raise CaptchaError(f"Invalid provider. Use one of: {', '.join(STATS_PROVIDERS)}")
        anonymized = query.get("anonymized")
        if anonymized is not None and anonymized.lower() not in ("true", "false"):
            raise CaptchaError("anonymized must be true or false")
        with self._lock:
            self.records = [r for r in self.records if r["_ts"] >= now - RETENTION_SECONDS]
            records = list(self.records)
        if anonymized is not None and anonymized.lower() == "true":
            sample = records[-10000:]
            return {"anonymized": True, "total": len(sample), "summary": self._summary(sample)}
        if provider:
            records = [r for r in records if r["provider"] == provider]
        body: dict[str, Any] = {}
        if limit is not None:
            rows = records[-limit:]
            body["limit"] = limit
        else:
            day = day or datetime.fromtimestamp(now, UTC).date().isoformat()
            rows = [r for r in records if r["date"] == day]
            body["date"] = day
        body["total"] = len(rows)
        body["summary"] = self._summary(rows)
        body["rows"] = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
        return body
