"""The engine's short-lived figures, kept in the broker's Redis: what Celery's own worker
heartbeat events said (recorded by :mod:`flowdash.system.monitor`), beat's last tick and the
reconciler's runs (recorded by :mod:`flowdash.system.signals`).

Nothing here is durable or needed to run a job: Redis restarted means "not seen yet", and the
pages say so in words. Every read is best-effort (Redis away → empty figures, never an error).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from flowdash.jobs.nudges import redis_client

logger = logging.getLogger(__name__)

WORKERS_KEY = "flowdash:system:workers"
BEAT_KEY = "flowdash:system:beat"
RECONCILER_KEY = "flowdash:system:reconciler"
RECONCILER_RUNS_KEY = "flowdash:system:reconciler-runs"
RECONCILER_RUNS_KEPT = 2000  # an hour of runs every 2 s
# A worker sends a heartbeat every ``freq`` seconds (Celery's default 2 s). It counts as alive
# while its last heartbeat is at most this many intervals old (and never less than STALE_MIN).
STALE_INTERVALS = 5
STALE_MIN = 10.0
# A worker that went away is still shown (as gone) for this long, then forgotten.
FORGET_AFTER = 3600.0


# --- recording ---------------------------------------------------------------------------------


def record_worker_event(event: dict[str, Any]) -> None:
    """One of Celery's ``worker-online`` / ``worker-heartbeat`` / ``worker-offline`` events."""
    client = redis_client()
    hostname = event.get("hostname")
    if client is None or not hostname:
        return
    kind = event.get("type", "")
    now = time.time()
    entry = {
        "hostname": hostname,
        "last_heartbeat": float(event.get("timestamp") or now),
        "freq": float(event.get("freq") or 2.0),
        "active": int(event.get("active") or 0),
        "processed": int(event.get("processed") or 0),
        "loadavg": list(event.get("loadavg") or []),
        "sw_ver": event.get("sw_ver", ""),
        "pid": event.get("pid"),
        "offline_at": now if kind == "worker-offline" else None,
    }
    client.hset(WORKERS_KEY, hostname, json.dumps(entry))


def record_beat_tick() -> None:
    client = redis_client()
    if client is not None:
        client.set(BEAT_KEY, json.dumps({"at": time.time()}))


def record_reconciler_run(result: Any) -> None:
    """The reconciler's return value: ``{"jobs": n, "downloads": m}`` re-driven this run."""
    client = redis_client()
    if client is None:
        return
    figures = result if isinstance(result, dict) else {}
    run = {
        "at": time.time(),
        "jobs": int(figures.get("jobs") or 0),
        "downloads": int(figures.get("downloads") or 0),
    }
    pipe = client.pipeline()
    pipe.set(RECONCILER_KEY, json.dumps(run))
    pipe.lpush(RECONCILER_RUNS_KEY, json.dumps(run))
    pipe.ltrim(RECONCILER_RUNS_KEY, 0, RECONCILER_RUNS_KEPT - 1)
    pipe.execute()


# --- reading -----------------------------------------------------------------------------------


@dataclass
class WorkerSeen:
    hostname: str
    last_heartbeat: float
    freq: float = 2.0
    active: int = 0
    processed: int = 0
    loadavg: list = field(default_factory=list)
    sw_ver: str = ""
    pid: int | None = None
    offline_at: float | None = None
    # From ``inspect`` (asked live by the System page only).
    pool: str = ""
    concurrency: int | None = None
    active_tasks: list = field(default_factory=list)

    @property
    def age(self) -> float:
        return max(time.time() - self.last_heartbeat, 0.0)

    @property
    def alive(self) -> bool:
        return self.offline_at is None and self.age <= max(STALE_INTERVALS * self.freq, STALE_MIN)

    @property
    def host(self) -> str:
        return self.hostname.split("@", 1)[-1]

    @property
    def state_words(self) -> str:
        if self.offline_at is not None:
            return f"stopped {words_for_seconds(time.time() - self.offline_at)} ago"
        if self.alive:
            return "alive"
        return f"no heartbeat for {words_for_seconds(self.age)}"


def _get_json(client, key: str) -> dict | None:
    try:
        raw = client.get(key)
        return json.loads(raw) if raw else None
    except Exception:  # noqa: BLE001 — Redis away or junk: not seen
        return None


def workers_seen() -> list[WorkerSeen]:
    """Every worker that sent a heartbeat within the last hour, newest first."""
    client = redis_client()
    if client is None:
        return []
    try:
        raw = client.hgetall(WORKERS_KEY)
    except Exception:  # noqa: BLE001
        return []
    seen = []
    for value in raw.values():
        try:
            worker = WorkerSeen(**json.loads(value))
        except (TypeError, ValueError):
            continue
        if worker.age <= FORGET_AFTER:
            seen.append(worker)
    return sorted(seen, key=lambda w: w.hostname)


def beat_last_tick() -> float | None:
    client = redis_client()
    data = _get_json(client, BEAT_KEY) if client is not None else None
    return data.get("at") if data else None


@dataclass
class ReconcilerFigures:
    last_run: float | None
    last_jobs: int
    last_downloads: int
    hour_runs: int
    hour_jobs: int
    hour_downloads: int


def reconciler_figures() -> ReconcilerFigures:
    client = redis_client()
    last = _get_json(client, RECONCILER_KEY) if client is not None else None
    runs: list[dict] = []
    if client is not None:
        try:
            runs = [json.loads(r) for r in client.lrange(RECONCILER_RUNS_KEY, 0, -1)]
        except Exception:  # noqa: BLE001
            runs = []
    since = time.time() - 3600
    hour = [r for r in runs if r.get("at", 0) >= since]
    return ReconcilerFigures(
        last_run=(last or {}).get("at"),
        last_jobs=int((last or {}).get("jobs") or 0),
        last_downloads=int((last or {}).get("downloads") or 0),
        hour_runs=len(hour),
        hour_jobs=sum(int(r.get("jobs") or 0) for r in hour),
        hour_downloads=sum(int(r.get("downloads") or 0) for r in hour),
    )


def queue_lengths() -> dict[str, int | None]:
    """Messages waiting per queue of ``CELERY_TASK_QUEUES`` (None when Redis does not answer)."""
    from django.conf import settings

    client = redis_client()
    lengths: dict[str, int | None] = {}
    for queue in settings.CELERY_TASK_QUEUES:
        try:
            lengths[queue.name] = int(client.llen(queue.name)) if client is not None else None
        except Exception:  # noqa: BLE001
            lengths[queue.name] = None
    return lengths


def words_for_seconds(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"
