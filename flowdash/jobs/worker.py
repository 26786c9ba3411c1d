"""The worker process's own threads: the timer thread that turns due timers into messages
(:class:`TimerThread`) and the download threads; started when a Celery worker is ready and
stopped at its warm shutdown. Imported by ``tasks.py`` (so every worker connects them)."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from celery.signals import worker_ready, worker_shutdown

from flowdash.jobs.nudges import first_nudge, pop_due_timers, send_drive

logger = logging.getLogger(__name__)

TIMER_TICK = 0.1  # seconds between two looks at the due timers


class TimerThread(threading.Thread):
    """Sends the drive message of every job whose timer falls due (one per worker process)."""

    def __init__(self, tick: float = TIMER_TICK) -> None:
        super().__init__(name="flowdash-job-timers", daemon=True)
        self.tick = tick
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.tick):
            try:
                for job_id in pop_due_timers():
                    if first_nudge("job", job_id):
                        send_drive(job_id)
            except Exception:  # noqa: BLE001 — Redis away: the reconciler covers; keep going
                logger.debug("job timers: Redis did not answer", exc_info=True)
                self.stopping.wait(1.0)

    def stop(self) -> None:
        self.stopping.set()


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


downloads = DownloadThreads(_download_slot_count())


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
    downloads.shutdown()
