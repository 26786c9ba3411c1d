"""Celery entry points of the job pipeline: thin, ids in, idempotent (design.md rules 1-3).

No ``acks_late`` reliance: a task lost with a killed worker or a restarted Redis is re-sent by
:func:`reconcile_jobs`, which beat runs every few seconds (``FLOWDASH_RECONCILE_SECONDS``),
because the row says the work is due.
"""

from __future__ import annotations

import logging
import os
import threading

from celery import shared_task

logger = logging.getLogger(__name__)

# A job nudged by the reconciler is not nudged again for this long unless its task has run
# (the task clears the mark): without it, a backlog of due jobs would be re-sent every beat and
# the queue would fill with duplicates. Marks live in Redis, so every process sees them and a
# Redis restart (which also loses the messages) clears them.
RENUDGE_SECONDS = int(os.environ.get("FLOWDASH_RENUDGE_SECONDS", "60"))
_redis_client = None


def _marks():
    """A redis-py client on the broker's Redis, or None (then every due job is nudged)."""
    global _redis_client
    if _redis_client is None:
        try:
            import redis
            from django.conf import settings

            url = settings.CELERY_BROKER_URL
            if url.startswith("redis+socket://"):
                url = "unix://" + url[len("redis+socket://") :]
            _redis_client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        except Exception:  # noqa: BLE001 — not Redis: no marks
            _redis_client = False
    return _redis_client or None


def _mark_key(kind: str, pk: int) -> str:
    return f"flowdash:nudged:{kind}:{pk}"


def _first_nudge(kind: str, pk: int) -> bool:
    client = _marks()
    if client is None:
        return True
    try:
        return bool(client.set(_mark_key(kind, pk), 1, nx=True, ex=RENUDGE_SECONDS))
    except Exception:  # noqa: BLE001 — Redis trouble: nudge anyway
        return True


def _clear_mark(kind: str, pk: int) -> None:
    client = _marks()
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


def _download_slot_count() -> int:
    from django.conf import settings

    default = max(2, int(getattr(settings, "CELERY_CONCURRENCY", 16)) // 4)
    return int(os.environ.get("FLOWDASH_DOWNLOAD_SLOTS", default))


# Downloads may take a while (big files, slow hosts); at most this many run at once in a worker
# process, so the threads that submit and check jobs are never all busy downloading.
_download_slots = threading.BoundedSemaphore(_download_slot_count())
DOWNLOAD_BUSY_DELAY = 2.0


@shared_task(name="flowdash.jobs.tasks.download_media", ignore_result=True)
def download_media(media_id: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from flowdash.gallery.models import Media
    from flowdash.jobs.downloads import download

    _clear_mark("media", media_id)
    media = Media.objects.filter(pk=media_id).first()
    if media is None or media.download_status != Media.Download.PENDING:
        return
    if not _download_slots.acquire(blocking=False):
        # every download slot is busy: the reconciler brings this one back shortly
        Media.objects.filter(pk=media_id, download_status=Media.Download.PENDING).update(
            next_download_at=timezone.now() + timedelta(seconds=DOWNLOAD_BUSY_DELAY)
        )
        return
    try:
        download(media)
    finally:
        _download_slots.release()


@shared_task(name="flowdash.jobs.tasks.reconcile_jobs", ignore_result=True)
def reconcile_jobs() -> dict[str, int]:
    """Nudge every job whose step is due and that no live task holds, and every due download."""
    from flowdash.jobs.downloads import due_media_ids
    from flowdash.jobs.services import due_jobs

    jobs = [pk for pk in due_jobs() if _first_nudge("job", pk)]
    for job_id in jobs:
        drive_job.apply_async(args=[job_id], expires=RENUDGE_SECONDS * 2)
    media = [pk for pk in due_media_ids() if _first_nudge("media", pk)]
    for media_id in media:
        download_media.apply_async(args=[media_id], expires=600)
    if jobs or media:
        logger.info("reconciler nudged %d jobs and %d downloads", len(jobs), len(media))
    return {"jobs": len(jobs), "downloads": len(media)}
