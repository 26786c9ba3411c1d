"""Celery entry points of the job pipeline: thin, ids in, idempotent (design.md rules 1-3).

No ``acks_late`` reliance: a task lost with a killed worker or a restarted Redis is re-sent by
:func:`reconcile_jobs`, which beat runs every few seconds (``FLOWDASH_RECONCILE_SECONDS``),
because the row says the work is due. Steps due later are sent by each worker's timer thread
(``queue.TimerThread``) when they fall due; the reconciler only catches what a timer missed.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown

from flowdash.jobs.queue import (
    DOWNLOAD_QUEUE,
    DOWNLOAD_TASK,
    STEPS_QUEUE,
    SUBMIT_QUEUE,
    TimerThread,
    redis_client,
)

logger = logging.getLogger(__name__)

# A job nudged by the reconciler is not nudged again for this long unless its task has run
# (the task clears the mark): without it, a backlog of due jobs would be re-sent every beat and
# the queue would fill with duplicates. Marks live in Redis, so every process sees them and a
# Redis restart (which also loses the messages) clears them.
RENUDGE_SECONDS = int(os.environ.get("FLOWDASH_RENUDGE_SECONDS", "60"))


def _mark_key(kind: str, pk: int) -> str:
    return f"flowdash:nudged:{kind}:{pk}"


def first_nudge(kind: str, pk: int) -> bool:
    """Mark the object as nudged; False when a nudge is already on its way."""
    client = redis_client()
    if client is None:
        return True
    try:
        return bool(client.set(_mark_key(kind, pk), 1, nx=True, ex=RENUDGE_SECONDS))
    except Exception:  # noqa: BLE001 — Redis trouble: nudge anyway
        return True


def mark_nudged(kind: str, pk: int) -> None:
    client = redis_client()
    if client is not None:
        try:
            client.set(_mark_key(kind, pk), 1, ex=RENUDGE_SECONDS)
        except Exception:  # noqa: BLE001
            logger.debug("could not mark %s %s as nudged", kind, pk)


def _clear_mark(kind: str, pk: int) -> None:
    client = redis_client()
    if client is not None:
        try:
            client.delete(_mark_key(kind, pk))
        except Exception:  # noqa: BLE001
            logger.debug("could not clear the nudge mark of %s %s", kind, pk)


@shared_task(name="flowdash.jobs.tasks.drive_job", ignore_result=True)
def drive_job(job_id: int) -> None:
    from flowdash.accounts.connection import build_client
    from flowdash.jobs.models import Job
    from flowdash.jobs.services import drive

    _clear_mark("job", job_id)
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    drive(job, build_client())


# --- downloads -----------------------------------------------------------------------------------


def _download_slot_count() -> int:
    from django.conf import settings

    default = max(2, int(getattr(settings, "CELERY_CONCURRENCY", 16)) // 4)
    return int(os.environ.get("FLOWDASH_DOWNLOAD_SLOTS", default))


class DownloadThreads:
    """The worker process's download threads: at most ``size`` downloads at once, none of them
    on a Celery thread, so the threads that submit and check jobs are never busy downloading.

    :func:`download_media` claims the row (its lease) and hands the id over here; a worker that
    dies with ids still waiting loses nothing but time: the lease runs out and the reconciler
    sends them again. A warm shutdown gives the waiting ones back at once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._waiting: set[int] = set()

    def submit(self, media_id: int) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.size, thread_name_prefix="flowdash-download")
            self._waiting.add(media_id)
            self._pool.submit(self._run, media_id)

    def _run(self, media_id: int) -> None:
        from django.db import close_old_connections

        from flowdash.gallery.models import Media
        from flowdash.jobs.downloads import fetch_claimed

        with self._lock:
            if media_id not in self._waiting:  # given back at shutdown
                return
            self._waiting.discard(media_id)
        close_old_connections()
        try:
            media = Media.objects.filter(pk=media_id).first()
            if media is not None and media.download_status == Media.Download.PENDING:
                fetch_claimed(media)
        except Exception:
            logger.exception("download of media %s broke", media_id)
        finally:
            close_old_connections()

    def shutdown(self) -> None:
        """Stop taking work; give the claims of downloads not started yet back."""
        from flowdash.jobs.downloads import release_claims

        with self._lock:
            waiting, self._waiting = list(self._waiting), set()
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if waiting:
            try:
                release_claims(waiting)
            except Exception:  # noqa: BLE001 — their leases run out instead
                logger.warning("could not give back %d download claims", len(waiting))


_downloads = DownloadThreads(_download_slot_count())


@shared_task(name="flowdash.jobs.tasks.download_media", ignore_result=True)
def download_media(media_id: int) -> None:
    from flowdash.gallery.models import Media
    from flowdash.jobs.downloads import claim

    _clear_mark("media", media_id)
    media = Media.objects.filter(pk=media_id).first()
    if media is None or media.download_status != Media.Download.PENDING or not media.source_url:
        return
    if claim(media):
        _downloads.submit(media.pk)


# --- the reconciler --------------------------------------------------------------------------------


@shared_task(name="flowdash.jobs.tasks.reconcile_jobs", ignore_result=True)
def reconcile_jobs() -> dict[str, int]:
    """Nudge every job whose step is due and that no live task holds, and every due download;
    wake image jobs waiting for a slot when slots are free and nobody is on the way to them.

    A queue with messages still waiting gets nothing more: its backlog may well hold the due
    jobs' messages already (a burst of new jobs can take longer than ``RENUDGE_SECONDS`` to
    get through), and one that was lost is found as soon as the backlog is gone."""
    from flowdash.celery import app
    from flowdash.jobs.downloads import clean_temp_files, due_media_ids
    from flowdash.jobs.queue import backlog, send_drive
    from flowdash.jobs.services import due_job_rows, wake_waiting_image_jobs

    busy = {q for q in (SUBMIT_QUEUE, STEPS_QUEUE, DOWNLOAD_QUEUE) if backlog(q)}
    jobs = 0
    rows = due_job_rows() if not {SUBMIT_QUEUE, STEPS_QUEUE} <= busy else []
    for job_id, first_submission in rows:
        queue = SUBMIT_QUEUE if first_submission else STEPS_QUEUE
        if queue not in busy and first_nudge("job", job_id):
            send_drive(job_id, queue, expires=RENUDGE_SECONDS * 2)
            jobs += 1
    wake_waiting_image_jobs()
    if first_nudge("temp-clean", 0):  # at most once a RENUDGE_SECONDS, whatever the workers
        clean_temp_files()
    due_media = due_media_ids() if DOWNLOAD_QUEUE not in busy else []
    media = [pk for pk in due_media if first_nudge("media", pk)]
    for media_id in media:
        app.send_task(DOWNLOAD_TASK, args=[media_id], queue=DOWNLOAD_QUEUE, expires=600)
    if jobs or media:
        logger.info("reconciler nudged %d jobs and %d downloads", jobs, len(media))
    return {"jobs": jobs, "downloads": len(media)}


# --- the worker process's own threads ------------------------------------------------------------

_timers: TimerThread | None = None


@worker_ready.connect
def _start_worker_threads(**_kwargs) -> None:
    global _timers
    if _timers is None:
        _timers = TimerThread()
        _timers.start()


@worker_shutdown.connect
def _stop_worker_threads(**_kwargs) -> None:
    global _timers
    if _timers is not None:
        _timers.stop()
        _timers = None
    _downloads.shutdown()
