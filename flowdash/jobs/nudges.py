"""Nudging the pipeline: the Celery messages and timers that ask a worker to drive a job now or
later, and the marks that keep the reconciler from sending one twice. Nothing here talks to the
API, and the row stays the truth: a lost nudge only delays a job until the reconciler finds it.

Queues (``CELERY_TASK_QUEUES``; a worker serves them in this order, each only when the ones
before it are empty, so a backlog of new submissions never delays a check):

* ``flowdash.control`` — the reconciler;
* ``flowdash.downloads`` — result downloads sent by the reconciler or by a process without
  download threads: the task only hands the id to the worker's download threads (a few
  milliseconds), so serving it first starves nothing and no download waits behind a backlog;
* ``flowdash.steps`` — later steps of jobs: status checks, retries, lookups, webhook hints;
* ``celery`` — first submissions of new jobs, and every other app's tasks.

A worker that stores a job's results hands the new media straight to its own download threads
(:func:`hand_over_downloads`): no message at all.

Timers: a step due later is written to a Redis sorted set (job id → due time) and each worker
process's timer thread sends the step's message when it falls due — precise to a fraction of a
second, with nothing held by the worker meanwhile (no ETA messages: see
``nudge``). Timers are a nudge like any message: the row's ``next_check_at`` stays
the truth, and the reconciler re-sends a due job whose timer was lost (Redis restarted).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

DRIVE_TASK = "flowdash.jobs.tasks.drive_job"
DOWNLOAD_TASK = "flowdash.jobs.tasks.download_media"

CONTROL_QUEUE = "flowdash.control"
STEPS_QUEUE = "flowdash.steps"
SUBMIT_QUEUE = "celery"
DOWNLOAD_QUEUE = "flowdash.downloads"

TIMERS_KEY = "flowdash:timers:job"

_redis_clients: dict[str, Any] = {}


def redis_client():
    """A redis-py client on the broker's Redis, or None when the broker is not Redis."""
    from flowdash.celery import app

    url = str(app.conf.broker_url or "")
    client = _redis_clients.get(url)
    if client is None:
        try:
            import redis

            address = url
            if address.startswith("redis+socket://"):
                address = "unix://" + address[len("redis+socket://") :]
            client = redis.Redis.from_url(address, socket_timeout=2, socket_connect_timeout=2)
        except Exception:  # noqa: BLE001 — not Redis: no timers, no marks
            client = False
        _redis_clients[url] = client
    return client or None


# --- nudge marks -------------------------------------------------------------------------------

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


def clear_mark(kind: str, pk: int) -> None:
    client = redis_client()
    if client is not None:
        try:
            client.delete(_mark_key(kind, pk))
        except Exception:  # noqa: BLE001
            logger.debug("could not clear the nudge mark of %s %s", kind, pk)


# The running worker's download threads (``flowdash.jobs.worker`` sets it when the worker is
# ready): new results stored in this process go straight to them.
_local_downloads = None


def set_local_downloads(receiver) -> None:
    global _local_downloads
    _local_downloads = receiver


def hand_over_downloads(media_ids) -> None:
    """Have the new results downloaded: by this process's own download threads when it is a
    worker, else by a message on the downloads queue. Best effort: a result not handed over is
    found by the reconciler (its row is pending)."""
    from flowdash.celery import app

    media_ids = list(media_ids)
    receiver = _local_downloads
    if receiver is not None and media_ids:
        try:
            receiver(media_ids, fresh=True)
            return
        except Exception:  # noqa: BLE001 — the database hiccuped: let any worker try
            logger.warning("could not queue %d downloads here; sending them", len(media_ids))
    for media_id in media_ids:
        try:
            app.send_task(DOWNLOAD_TASK, args=[media_id, True], queue=DOWNLOAD_QUEUE)
        except Exception:  # noqa: BLE001 — the reconciler downloads it anyway
            logger.warning("could not enqueue the download of media %s", media_id)


def send_drive(job_id: int, queue: str = STEPS_QUEUE, **options) -> bool:
    """Send one drive message now (marked as on its way, so the reconciler does not send it
    again meanwhile). False when the broker is unreachable."""
    from flowdash.celery import app

    mark_nudged("job", job_id)
    try:
        app.send_task(DRIVE_TASK, args=[job_id], queue=queue, **options)
    except Exception:  # noqa: BLE001 — the broker is down; the reconciler will drive it
        logger.warning("could not enqueue job %s; the reconciler will", job_id)
        return False
    return True


def arm_timer(job_id: int, delay: float) -> bool:
    """Have a worker nudge the job in ``delay`` seconds. False when there is no Redis."""
    client = redis_client()
    if client is None:
        return False
    try:
        client.zadd(TIMERS_KEY, {str(job_id): time.time() + max(delay, 0.0)})
    except Exception:  # noqa: BLE001 — the reconciler nudges it when due
        logger.warning("could not arm the timer of job %s; the reconciler will", job_id)
        return False
    return True


def nudge(job_id: int, *, countdown: float | None = None, queue: str = STEPS_QUEUE) -> None:
    """Ask a worker to advance the job now (or in ``countdown`` seconds), after commit: a step
    due now is a message; a later one arms the job's timer, which a worker's timer thread
    (``flowdash.jobs.worker``) turns into a message when it falls due.

    No countdown (ETA) messages on purpose: a worker holds those unacknowledged in memory, so
    they die with a killed worker, and with the Redis transport a broker restart while the
    worker holds any makes kombu's restore of unacked messages crash the worker
    (``'NoneType' object has no attribute 'hostname'``). A timer is only an entry in a Redis
    sorted set until it falls due.

    Best-effort and bounded (design.md rule 9): the caller waits for the broker at most
    ``FLOWDASH_NUDGE_WAIT_SECONDS``; a refusing or hung Redis only delays the job until the
    reconciler finds it due (the row is the outbox)."""

    def send() -> None:
        if countdown and countdown > 0:
            arm_timer(job_id, countdown)
        else:
            send_drive(job_id, queue)

    transaction.on_commit(lambda: run_bounded(send))


def run_bounded(send, wait: float | None = None) -> bool:
    """Run ``send`` (broker I/O that catches its own errors) on a thread of its own and wait
    for it at most ``wait`` seconds; False when it was left running (the broker's socket
    timeouts end it later)."""
    global _broker_slow_until
    from django.conf import settings

    if wait is None:
        wait = float(getattr(settings, "FLOWDASH_NUDGE_WAIT_SECONDS", 0.3))
        if time.monotonic() < _broker_slow_until:
            wait = min(wait, 0.05)  # it just failed to answer: do not make every page wait
    thread = threading.Thread(target=send, name="flowdash-nudge", daemon=True)
    thread.start()
    thread.join(wait)
    if thread.is_alive():
        _broker_slow_until = time.monotonic() + BROKER_SLOW_SECONDS
        logger.warning("the broker did not take a nudge in %.2f s; the reconciler will", wait)
        return False
    return True


# After a nudge the broker did not take in time, later ones wait only briefly for this long.
BROKER_SLOW_SECONDS = 10.0
_broker_slow_until = 0.0


# Takes the due members off the set atomically, so two workers never both send one.
_POP_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return ids
"""


def backlog(queue: str) -> int:
    """Messages waiting in a queue (not yet taken by a worker); 0 when unknown."""
    client = redis_client()
    if client is None:
        return 0
    try:
        return int(client.llen(queue))
    except Exception:  # noqa: BLE001
        return 0


def pop_due_timers(now: float | None = None, limit: int = 500) -> list[int]:
    """The ids of jobs whose timer is due, taken off the set (empty without Redis)."""
    client = redis_client()
    if client is None:
        return []
    now = time.time() if now is None else now
    ids = client.eval(_POP_DUE, 1, TIMERS_KEY, repr(now), limit)
    return [int(i) for i in ids]
