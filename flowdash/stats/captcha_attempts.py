"""flowdash's own captcha figures, from the ``captcha`` blocks recorded on its jobs.

A block is the documented ``{service, taskId, durationMs, attempts: [{service, taskId,
durationMs, success, error}]}``. The cost is an estimate from the documented prices per 1,000
solves, counting every attempt (a rejected token was still solved and paid for).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Documented approximate prices in US dollars per 1,000 solves; None = not documented.
PRICE_PER_1000: dict[str, float | None] = {
    "CapSolver": 3.00,
    "AntiCaptcha": 2.00,
    "YesCaptcha": None,
    "CapMonster": None,
    "SolveCaptcha": 0.80,
    "2Captcha": 2.99,
    "EzCaptcha": 2.50,
    "UserProvided": 0.0,
}


@dataclass
class ProviderFigures:
    provider: str
    attempts: int = 0
    successes: int = 0
    total_ms: int = 0
    timed: int = 0
    cost: float | None = 0.0

    @property
    def success_rate(self) -> float | None:
        return round(100.0 * self.successes / self.attempts, 1) if self.attempts else None

    @property
    def avg_solve_ms(self) -> float | None:
        return round(self.total_ms / self.timed) if self.timed else None


@dataclass
class CaptchaSummary:
    jobs: int = 0
    attempts: int = 0
    successes: int = 0
    total_ms: int = 0
    timed_jobs: int = 0
    cost: float = 0.0
    cost_unknown_attempts: int = 0
    providers: dict[str, ProviderFigures] = field(default_factory=dict)

    @property
    def attempts_per_job(self) -> float | None:
        return round(self.attempts / self.jobs, 2) if self.jobs else None

    @property
    def avg_job_ms(self) -> float | None:
        return round(self.total_ms / self.timed_jobs) if self.timed_jobs else None

    @property
    def success_rate(self) -> float | None:
        return round(100.0 * self.successes / self.attempts, 1) if self.attempts else None

    @property
    def provider_rows(self) -> list[ProviderFigures]:
        return sorted(self.providers.values(), key=lambda p: (-p.attempts, p.provider))


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _duration_ms(record: Mapping[str, Any]) -> int | None:
    """The solve time of a block or an attempt: ``durationMs`` as the API sends it, or
    ``duration_ms`` as flowdash's jobs record it (see jobs.pipeline.outcomes.record_captcha)."""
    value = _int(record.get("durationMs"))
    return value if value is not None else _int(record.get("duration_ms"))


def summarize_captcha_blocks(blocks: Iterable[Mapping[str, Any] | None]) -> CaptchaSummary:
    """Attempts per job, solve time per provider and a cost estimate, from captcha blocks.

    A block without ``attempts`` counts as one successful attempt by its ``service``.
    """
    summary = CaptchaSummary()
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        attempts = block.get("attempts")
        if not isinstance(attempts, list) or not attempts:
            attempts = [
                {
                    "service": block.get("service"),
                    "durationMs": _duration_ms(block),
                    "success": True,
                }
            ]
        summary.jobs += 1
        job_ms = _duration_ms(block)
        if job_ms is None:
            timed = [_duration_ms(a) for a in attempts if isinstance(a, Mapping)]
            timed = [ms for ms in timed if ms is not None]
            job_ms = sum(timed) if timed else None
        if job_ms is not None:  # a job without any recorded time is not averaged as 0 ms
            summary.total_ms += job_ms
            summary.timed_jobs += 1
        for attempt in attempts:
            if not isinstance(attempt, Mapping):
                continue
            name = str(attempt.get("service") or "unknown")
            figures = summary.providers.setdefault(name, ProviderFigures(name))
            figures.attempts += 1
            summary.attempts += 1
            if attempt.get("success") is True:
                figures.successes += 1
                summary.successes += 1
            ms = _duration_ms(attempt)
            if ms is not None:
                figures.total_ms += ms
                figures.timed += 1
            price = PRICE_PER_1000.get(name)
            if price is None:
                figures.cost = None
                summary.cost_unknown_attempts += 1
            else:
                if figures.cost is not None:
                    figures.cost += price / 1000
                summary.cost += price / 1000
    return summary


def job_captcha_blocks() -> Iterable[Mapping[str, Any]]:
    """The captcha blocks recorded on flowdash's jobs."""
    from flowdash.jobs.models import Job

    return Job.objects.exclude(captcha={}).values_list("captcha", flat=True).iterator()
