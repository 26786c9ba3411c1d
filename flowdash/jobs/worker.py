"""The worker process's own threads: the timer thread that turns due timers into messages
(:class:`TimerThread`) and the download threads; started when a Celery worker is ready and
stopped at its warm shutdown. Imported by ``tasks.py`` (so every worker connects them)."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from celery.signals import worker_ready, worker_shutdown

from flowdash.jobs.nudges import first_nudge, pop_due_timers, send_drive, set_local_downloads

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
    """Downloads at once per worker process (``FLOWDASH_DOWNLOAD_SLOTS``). A download mostly
    waits on the network (bench/scale.py: about 1 s of its 1.3 s to the first byte under load),
    so half the Celery threads by default: at a quarter, 5,000 videos' files fell behind."""
    from django.conf import settings

    default = max(4, int(getattr(settings, "CELERY_CONCURRENCY", 16)) // 2)
    return int(os.environ.get("FLOWDASH_DOWNLOAD_SLOTS", default))


class SharedLock:
    """Many holders at once (``shared``) or one alone (``exclusive``); one waiting for
    ``exclusive`` lets no new shared holder in, so it is not starved by a steady stream."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._exclusive_waiting = 0

    @contextmanager
    def shared(self):
        with self._cond:
            while self._exclusive or self._exclusive_waiting:
                self._cond.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                if not self._shared:
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self):
        with self._cond:
            self._exclusive_waiting += 1
            while self._exclusive or self._shared:
                self._cond.wait()
            self._exclusive_waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class DownloadThreads:
    """The worker process's download threads: at most ``size`` downloads at once, none of them
    on a Celery thread, so the threads that submit and check jobs are never busy downloading.

    :meth:`submit` takes a short queued hold on the rows (``downloads.hold``) and queues them;
    a thread starting on one turns the hold into the download's lease (``downloads.start_held``),
    counting the try. A renewing thread moves both on every :attr:`renew_every` seconds while
    the process lives. Every row this process holds carries one of its two tokens (the current
    hold and lease times), so a renewal is one statement, and a row someone else took over no
    longer matches and is skipped. A killed worker's waiting rows fall due a short hold later
    and its running ones a lease later; the reconciler sends them again. A warm shutdown gives
    the waiting ones back at once."""

    def __init__(self, size: int) -> None:
        self.size = size
        # The sets and tokens below. Only the renewal (rare) queries under it: a hand-over's or
        # a start's query waits for the database outside it, holding the tokens shared.
        self._lock = threading.Lock()
        # Held shared by a query that uses a token, exclusively by the renewal that moves them.
        self._tokens_in_use = SharedLock()
        self._pool: ThreadPoolExecutor | None = None
        self._waiting: set[int] = set()
        self._running: set[int] = set()
        self._hold_token = None  # the queued hold's time, shared by every waiting row
        self._lease_token = None  # the lease's time, shared by every running row
        self._renewer: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def renew_every(self) -> float:
        from flowdash.jobs.downloads import queued_hold

        return queued_hold().total_seconds() / 5

    def _tokens(self, now=None):
        """New hold and lease times from now (microseconds make them this process's own)."""
        from django.utils import timezone

        from flowdash.jobs.downloads import download_lease, queued_hold

        now = now or timezone.now()
        return now + queued_hold(), now + download_lease()

    def submit(self, media_ids, *, fresh: bool = False) -> list[int]:
        """Hold and queue the rows that are free (``fresh``: new results, handed over once
        stored); the ids newly queued. One already waiting here is held again (its hold may
        have lapsed on a busy machine) but not queued twice."""
        from flowdash.jobs.downloads import hold

        ids = [int(i) for i in media_ids]
        with self._tokens_in_use.shared():
            with self._lock:
                ids = [i for i in ids if i not in self._running]
                if not ids:
                    return []
                if self._hold_token is None:
                    self._hold_token, self._lease_token = self._tokens()
                token = self._hold_token
            # The write waits for the database outside the lock: other threads' hand-overs
            # and the download threads' starts do not queue behind it.
            held = hold(ids, token, fresh=fresh)
            with self._lock:
                held = [i for i in held if i not in self._waiting]
                if not held:
                    return []
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(
                        self.size, thread_name_prefix="flowdash-download"
                    )
                    self._stopping.clear()
                if self._renewer is None or not self._renewer.is_alive():
                    self._renewer = threading.Thread(
                        target=self._renew_loop, name="flowdash-download-holds", daemon=True
                    )
                    self._renewer.start()
                self._waiting.update(held)
                for media_id in held:
                    self._pool.submit(self._run, media_id)
        return held

    def _run(self, media_id: int) -> None:
        from django.db import close_old_connections

        from flowdash.gallery.models import Media
        from flowdash.jobs.downloads import fetch_claimed, start_held

        close_old_connections()
        try:
            with self._tokens_in_use.shared():
                with self._lock:
                    if media_id not in self._waiting:  # given back at shutdown
                        return
                    self._waiting.discard(media_id)
                    tokens = self._hold_token, self._lease_token
                if not start_held(media_id, *tokens):
                    return  # taken over by another worker, or done meanwhile
                with self._lock:
                    self._running.add(media_id)
            media = Media.objects.filter(pk=media_id).first()
            if media is not None and media.download_status == Media.Download.PENDING:
                fetch_claimed(media)
        except Exception:
            logger.exception("download of media %s broke", media_id)
        finally:
            with self._lock:
                self._running.discard(media_id)
            close_old_connections()

    def _renew_loop(self) -> None:
        from django.db import close_old_connections

        while not self._stopping.wait(self.renew_every):
            try:
                self.renew()
            except Exception:  # noqa: BLE001 — the next tick tries again; the holds last longer
                logger.warning("could not renew the download holds", exc_info=True)
            finally:
                close_old_connections()

    def renew(self) -> None:
        """Move every held row's time on (one statement per token)."""
        from flowdash.jobs.downloads import renew

        with self._tokens_in_use.exclusive(), self._lock:
            if self._hold_token is None:
                return
            hold_until, lease_until = self._tokens()
            renew(self._waiting, self._hold_token, hold_until)
            self._hold_token = hold_until  # each token moves as soon as its rows have
            renew(self._running, self._lease_token, lease_until)
            self._lease_token = lease_until

    def shutdown(self) -> None:
        """Stop taking work; give the holds of downloads not started yet back."""
        from flowdash.jobs.downloads import release

        self._stopping.set()
        with self._lock:
            waiting, self._waiting = list(self._waiting), set()
            pool, self._pool = self._pool, None
            token = self._hold_token
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if waiting and token is not None:
            try:
                release(waiting, token)
            except Exception:  # noqa: BLE001 — their holds run out instead
                logger.warning("could not give back %d queued downloads", len(waiting))


downloads = DownloadThreads(_download_slot_count())


_timers: TimerThread | None = None


@worker_ready.connect
def _start_worker_threads(**_kwargs) -> None:
    global _timers
    if _timers is None:
        _timers = TimerThread()
        _timers.start()
    set_local_downloads(downloads.submit)


@worker_shutdown.connect
def _stop_worker_threads(**_kwargs) -> None:
    global _timers
    set_local_downloads(None)
    if _timers is not None:
        _timers.stop()
        _timers = None
    downloads.shutdown()
