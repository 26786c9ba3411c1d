"""A batch's next rows are made the moment a worker ends a job's step, not only on beat's tick.

Beat tops every running batch up every ``FLOWDASH_BATCH_RELEASE_SECONDS``; with image jobs of a
few seconds that left the image slots idle between ticks (bench/batch.py: wall ÷ ideal 6.0).
The worker now also tops up after each ``drive_job`` task, at most every
:data:`MIN_GAP` seconds per process (one query when no batch runs). The jobs app knows nothing
of batches: this module listens to Celery's own ``task_postrun`` signal.
"""

from __future__ import annotations

import logging
import threading
import time

from celery.signals import task_postrun

log = logging.getLogger(__name__)

DRIVE_TASK = "flowdash.jobs.tasks.drive_job"
MIN_GAP = 0.1  # seconds between two top-ups by one worker process

_last = 0.0
_lock = threading.Lock()


def _due() -> bool:
    global _last
    with _lock:
        now = time.monotonic()
        if now - _last < MIN_GAP:
            return False
        _last = now
        return True


@task_postrun.connect(weak=False)
def top_up_after_a_step(sender=None, **_kwargs) -> None:
    if getattr(sender, "name", "") != DRIVE_TASK or not _due():
        return
    from flowdash.batches.services import release_running

    try:
        release_running()
    except Exception:  # a failed top-up only waits for beat's next tick
        log.exception("batch top-up after a job step failed")
