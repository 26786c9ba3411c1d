"""Hooks into Celery's own signals: the heartbeat listener in the worker and beat processes,
beat's ticks (each message beat sends), and each run of the job reconciler (its return value).
"""

from __future__ import annotations

import logging

from celery.signals import (
    beat_init,
    before_task_publish,
    task_postrun,
    worker_ready,
    worker_shutdown,
)

from flowdash.system import engine, monitor

logger = logging.getLogger(__name__)

RECONCILER_TASK = "flowdash.jobs.tasks.reconcile_jobs"
_in_beat = False


@worker_ready.connect
def _worker_ready(sender=None, **_kwargs) -> None:
    monitor.start(sender.app)


@worker_shutdown.connect
def _worker_shutdown(**_kwargs) -> None:
    monitor.stop()


@beat_init.connect
def _beat_init(sender=None, **_kwargs) -> None:
    global _in_beat
    _in_beat = True
    monitor.start(sender.app)
    _safely(engine.record_beat_tick)


@before_task_publish.connect
def _beat_sent(**_kwargs) -> None:
    if _in_beat:
        _safely(engine.record_beat_tick)


@task_postrun.connect
def _task_ran(task=None, retval=None, state=None, **_kwargs) -> None:
    if task is not None and task.name == RECONCILER_TASK and state == "SUCCESS":
        _safely(engine.record_reconciler_run, retval)


def _safely(function, *args) -> None:
    try:
        function(*args)
    except Exception:  # noqa: BLE001 — figures for the System page; never break the caller
        logger.debug("engine figures: %s failed", function.__name__, exc_info=True)
