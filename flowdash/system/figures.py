"""What the System page shows, gathered in one place: the workers (Celery's heartbeat events,
and ``inspect`` for pool, concurrency and active tasks), the queues, beat and the reconciler,
the jobs, the API's answers over the last hour and the media storage, each with the words that
say when a figure is stale.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Sum
from django.utils import timezone

from flowdash.system import engine
from flowdash.system.engine import WorkerSeen, words_for_seconds

INSPECT_TIMEOUT = 1.0
POOL_NAMES = {"thread": "threads", "solo": "solo", "prefork": "prefork"}
# Beat sends the reconciler every FLOWDASH_RECONCILE_SECONDS; silent for this many intervals
# (and at least BEAT_STALE_MIN seconds) means beat is not running.
BEAT_STALE_INTERVALS = 6
BEAT_STALE_MIN = 60.0


@dataclass
class EngineWarning:
    """What the home page (everyone) and the System page say when the engine is not working."""

    text: str
    waiting: int = 0


def engine_warning(workers: list[WorkerSeen] | None = None) -> EngineWarning | None:
    """None while at least one worker sends heartbeats and none recently went quiet."""
    workers = engine.workers_seen() if workers is None else workers
    alive = [w for w in workers if w.alive]
    gone = [w for w in workers if not w.alive]
    if not alive:
        from flowdash.jobs.models import ACTIVE, Job

        waiting = Job.objects.filter(status__in=ACTIVE).count()
        if workers:
            last = min(w.age for w in workers)
            text = f"No worker heartbeat for {words_for_seconds(last)}"
        else:
            text = "No worker has sent a heartbeat"
        if waiting:
            text += f" — {waiting} job{'s' if waiting != 1 else ''} waiting"
        return EngineWarning(text + ".", waiting)
    if gone:
        names = ", ".join(f"{w.hostname} ({w.state_words})" for w in gone)
        return EngineWarning(
            f"{len(gone)} of {len(workers)} workers stopped answering: {names}. "
            f"{len(alive)} still working."
        )
    return None


def inspect_workers(workers: list[WorkerSeen]) -> str:
    """Fill in pool, concurrency and active tasks from ``inspect`` (a short broadcast).
    Returns words when inspect got no answer."""
    from flowdash.celery import app

    try:
        inspector = app.control.inspect(timeout=INSPECT_TIMEOUT)
        stats = inspector.stats() or {}
        active = inspector.active() or {}
    except Exception as exc:  # noqa: BLE001 — broker away
        return f"inspect got no answer ({type(exc).__name__})"
    by_name = {w.hostname: w for w in workers}
    for hostname, info in stats.items():
        worker = by_name.get(hostname)
        if worker is None:  # answering but no heartbeat recorded (heartbeats off)
            worker = WorkerSeen(hostname=hostname, last_heartbeat=0.0)
            workers.append(worker)
        pool = info.get("pool") or {}
        # "celery.concurrency.thread:TaskPool" → "threads", as the worker's --pool names it
        module = str(pool.get("implementation", "")).split(":", 1)[0].rsplit(".", 1)[-1]
        worker.pool = POOL_NAMES.get(module, module)
        worker.concurrency = pool.get("max-concurrency")
        worker.pid = worker.pid or info.get("pid")
    for hostname, tasks in active.items():
        if hostname in by_name:
            by_name[hostname].active_tasks = [
                {"name": t.get("name", ""), "args": t.get("args"), "started": t.get("time_start")}
                for t in tasks
            ]
    return "" if stats else "no worker answered inspect within 1 s"


@dataclass
class SystemFigures:
    workers: list[WorkerSeen]
    inspect_note: str
    warning: EngineWarning | None
    queues: dict[str, int | None]
    beat_last_tick: float | None
    beat_words: str
    beat_stale: bool
    reconciler: engine.ReconcilerFigures
    reconciler_words: str
    reconciler_stale: bool
    jobs_by_state: list[tuple[str, int]]
    oldest_waiting_words: str
    api_answers: list[tuple[str, int, float]]
    api_total: int
    api_error_rate: float | None
    storage: dict = field(default_factory=dict)


def gather(*, inspect: bool = True) -> SystemFigures:
    from flowdash.jobs.models import Job

    now = time.time()
    workers = engine.workers_seen()
    queues = engine.queue_lengths()
    redis_answers = any(length is not None for length in queues.values())
    note = "" if not inspect else "Redis did not answer"
    if inspect and redis_answers:
        note = inspect_workers(workers)
    beat_every = float(getattr(settings, "RECONCILE_SECONDS", 5.0))
    beat_stale_after = max(BEAT_STALE_INTERVALS * beat_every, BEAT_STALE_MIN)
    tick = engine.beat_last_tick()
    if tick is None:
        beat_words, beat_stale = "beat has not been seen since Redis started", True
    else:
        beat_stale = now - tick > beat_stale_after
        beat_words = f"last tick {words_for_seconds(now - tick)} ago"
        if beat_stale:
            beat_words += " — beat is not running: nothing re-drives lost or due jobs"
    reconciler = engine.reconciler_figures()
    if reconciler.last_run is None:
        reconciler_words, reconciler_stale = "has not run since Redis started", True
    else:
        reconciler_stale = now - reconciler.last_run > beat_stale_after
        reconciler_words = (
            f"last run {words_for_seconds(now - reconciler.last_run)} ago, re-drove "
            f"{reconciler.last_jobs} jobs and {reconciler.last_downloads} downloads; "
            f"in the last hour {reconciler.hour_runs} runs re-drove {reconciler.hour_jobs} jobs "
            f"and {reconciler.hour_downloads} downloads"
        )
        if reconciler_stale:
            reconciler_words += " — stale: no worker ran it lately"

    counts = dict(Job.objects.values_list("status").annotate(n=Count("pk")).order_by())
    jobs_by_state = [(label, counts.get(value, 0)) for value, label in Job.Status.choices]
    oldest = Job.objects.filter(status=Job.Status.QUEUED).aggregate(at=Min("created_at"))["at"]
    oldest_words = (
        f"oldest waiting job queued {words_for_seconds((timezone.now() - oldest).total_seconds())} ago"
        if oldest
        else "no job is waiting"
    )
    answers, total, error_rate = api_answers_last_hour()
    return SystemFigures(
        workers=sorted(workers, key=lambda w: w.hostname),
        inspect_note=note,
        warning=engine_warning(workers),
        queues=queues,
        beat_last_tick=tick,
        beat_words=beat_words,
        beat_stale=beat_stale,
        reconciler=reconciler,
        reconciler_words=reconciler_words,
        reconciler_stale=reconciler_stale,
        jobs_by_state=jobs_by_state,
        oldest_waiting_words=oldest_words,
        api_answers=answers,
        api_total=total,
        api_error_rate=error_rate,
        storage=storage_usage(),
    )


def api_answers_last_hour() -> tuple[list[tuple[str, int, float]], int, float | None]:
    """The API's answers to our requests in the last hour, by HTTP status (from JobAttempt
    rows): [(status words, count, percent)], the total, and the share that were not 2xx."""
    from flowdash.jobs.models import JobAttempt

    since = timezone.now() - timedelta(hours=1)
    rows = (
        JobAttempt.objects.filter(started_at__gte=since)
        .values_list("http_status")
        .annotate(n=Count("pk"))
        .order_by("http_status")
    )
    total = sum(n for _, n in rows)
    answers = [
        (str(status) if status else "no answer", n, round(100.0 * n / total, 1))
        for status, n in rows
    ]
    errors = sum(n for status, n in rows if not status or not 200 <= status < 300)
    return answers, total, (round(100.0 * errors / total, 1) if total else None)


def storage_usage() -> dict:
    """Media kept (from the database: sizes are recorded when a file is stored) and, on a file
    system, the disk's free space."""
    from django.core.files.storage import FileSystemStorage, storages

    from flowdash.gallery.models import Media

    kept = Media.objects.stored().aggregate(files=Count("pk"), size=Sum("file_size"))
    storage = storages["default"]
    usage = {
        "kind": type(storage).__name__,
        "files": kept["files"] or 0,
        "bytes": kept["size"] or 0,
        "where": "",
        "free_bytes": None,
        "total_bytes": None,
    }
    if isinstance(storage, FileSystemStorage):
        usage["where"] = str(storage.location)
        try:
            disk = shutil.disk_usage(storage.location)
            usage["free_bytes"], usage["total_bytes"] = disk.free, disk.total
        except OSError:
            pass
    else:
        bucket = getattr(storage, "bucket_name", "")
        endpoint = getattr(storage, "endpoint_url", "") or ""
        usage["where"] = f"bucket {bucket}" + (f" at {endpoint}" if endpoint else "")
    return usage
