"""Between the API and the database for the stats pages: load and captcha snapshots."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from flowdash.accounts import alerts
from flowdash.stats.forms import query_key
from flowdash.stats.models import (
    CaptchaProviderSample,
    CaptchaStatsSnapshot,
    LoadSample,
    LoadSnapshot,
)

if TYPE_CHECKING:
    from flowdash.useapi.client import UseapiClient
    from flowdash.useapi.types import JobStats

KINDS = ("videos", "images", "combined")


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def snapshot_load(client: UseapiClient | None) -> LoadSnapshot:
    """GET /jobs?options=history, stored with one LoadSample per account and kind."""
    from flowdash.useapi.errors import InvalidToken, UseapiError

    now = timezone.now()
    if client is None:
        return LoadSnapshot.objects.create(taken_at=now, error="No API token is configured.")
    try:
        stats = client.get_jobs("history")
    except InvalidToken as exc:
        alerts.note_token_rejected()
        return LoadSnapshot.objects.create(taken_at=now, error=exc.user_message, http_status=401)
    except UseapiError as exc:
        return LoadSnapshot.objects.create(
            taken_at=now,
            error=exc.user_message,
            http_status=exc.status,
        )
    alerts.note_token_accepted()
    return store_load(stats, now)


def store_load(stats: JobStats, taken_at) -> LoadSnapshot:
    executing, history = [], []
    for kind in ("videos", "images"):
        section = getattr(stats, kind)
        for job_id, job in section.executing.items():
            executing.append(
                {
                    "job_id": job_id,
                    "kind": kind,
                    "email": job.email,
                    "started": _iso(job.started),
                    "elapsed": job.elapsed,
                }
            )
        for job_id, entry in section.history.items():
            history.append(
                {
                    "job_id": job_id,
                    "kind": kind,
                    "email": entry.email,
                    "at": _iso(entry.finished),
                    "http_status": entry.http_status,
                    "response_ms": entry.response_time_ms,
                }
            )
    executing.sort(key=lambda j: j["started"] or "")
    history.sort(key=lambda j: j["at"] or "", reverse=True)
    with transaction.atomic():
        snapshot = LoadSnapshot.objects.create(
            taken_at=taken_at, emails=list(stats.emails), executing=executing, history=history
        )
        samples = []
        for kind in KINDS:
            for email, load in getattr(stats, kind).summary.items():
                executing_n = load.executing or 0
                failed, limited = load.failed or 0, load.rate_limited or 0
                score = load.score
                if score is None:
                    score = executing_n + 10 * failed + 20 * limited
                samples.append(
                    LoadSample(
                        snapshot=snapshot,
                        taken_at=taken_at,
                        kind=kind,
                        email=email,
                        executing=executing_n,
                        completed=load.completed or 0,
                        failed=failed,
                        rate_limited=limited,
                        avg_response_ms=load.avg_response_time_ms,
                        score=score,
                    )
                )
        LoadSample.objects.bulk_create(samples)
    return snapshot


def fetch_captcha_stats(
    client: UseapiClient | None, query: dict, *, scheduled: bool = False
) -> CaptchaStatsSnapshot:
    """GET /accounts/captcha-stats for ``query``; the summary is stored, the rows are not."""
    from flowdash.useapi.errors import InvalidToken, UseapiError

    now = timezone.now()
    base = {
        "taken_at": now,
        "query_key": query_key(query),
        "query": query,
        "scheduled": scheduled,
        "date": query.get("date", ""),
    }
    if client is None:
        return CaptchaStatsSnapshot.objects.create(**base, error="No API token is configured.")
    try:
        stats = client.get_captcha_stats(
            date=query.get("date"),
            limit=query.get("limit"),
            provider=query.get("provider"),
            anonymized=bool(query.get("anonymized")),
        )
    except InvalidToken as exc:
        alerts.note_token_rejected()
        return CaptchaStatsSnapshot.objects.create(**base, error=exc.user_message, http_status=401)
    except UseapiError as exc:
        return CaptchaStatsSnapshot.objects.create(
            **base,
            error=exc.user_message,
            http_status=exc.status,
        )
    alerts.note_token_accepted()
    durations = stats.summary.get("avg_duration_ms_by_provider")
    durations = durations if isinstance(durations, dict) else {}
    providers = sorted(set(stats.sample_size_by_provider) | set(stats.success_rate_by_provider))
    with transaction.atomic():
        snapshot = CaptchaStatsSnapshot.objects.create(
            **{**base, "date": stats.date or base["date"]},
            total=stats.total,
            time_span=stats.time_span or "",
            summary=stats.summary,
        )
        CaptchaProviderSample.objects.bulk_create(
            CaptchaProviderSample(
                snapshot=snapshot,
                taken_at=now,
                provider=name,
                sample_size=stats.sample_size_by_provider.get(name),
                success_rate=stats.success_rate_by_provider.get(name),
                avg_duration_ms=_number(durations.get(name)),
            )
            for name in providers
        )
    return snapshot


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def scheduled_captcha_queries(today=None) -> list[dict]:
    today = today or timezone.now().date()
    return [{"date": today.isoformat()}, {"anonymized": True}]


def prune_snapshots(keep_days: int, now=None) -> int:
    """Delete snapshots older than ``keep_days`` (their samples go with them)."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    deleted, _ = LoadSnapshot.objects.filter(taken_at__lt=cutoff).delete()
    more, _ = CaptchaStatsSnapshot.objects.filter(taken_at__lt=cutoff).delete()
    return deleted + more
