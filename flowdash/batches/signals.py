"""A batch's next rows are made the moment a worker ends a job's step, not only on beat's tick.

Beat tops every running batch up every ``FLOWDASH_BATCH_RELEASE_SECONDS``; with image jobs of a
few seconds that left the image slots idle between ticks (bench/batch.py: wall ÷ ideal 6.0).
A worker also tops up after each job step it drives, at most every :data:`MIN_GAP` seconds per
process (one query when no batch runs). That is the pipeline's ``step_ended`` signal, not the
end of a Celery task: a worker thread drives the image jobs its own requests woke one after
another within one task (``drive_chain``), and a top-up only at the task's end left the batch's
queued rows run dry under it. The jobs app knows nothing of batches.
"""

from __future__ import annotations

import logging
import threading
import time

from django.dispatch import receiver

from flowdash.jobs.pipeline.dispatch import step_ended

log = logging.getLogger(__name__)

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


@receiver(step_ended, weak=False)
def top_up_after_a_step(sender=None, **_kwargs) -> None:
    if not _due():
        return
    from flowdash.batches.services import release_running

    try:
        release_running()
    except Exception:  # a failed top-up only waits for beat's next tick
        log.exception("batch top-up after a job step failed")
