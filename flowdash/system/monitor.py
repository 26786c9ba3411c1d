"""Listens to Celery's own worker events (``worker-online``, ``worker-heartbeat``,
``worker-offline``) and writes the latest of each worker into Redis for the System page.

One listener runs in the beat process and one in each worker process (started by
:mod:`flowdash.system.signals`), so the figures keep coming while any of them lives. Only the
``worker.#`` events are bound: task events, when a worker sends them, never reach it.
"""

from __future__ import annotations

import logging
import threading

from flowdash.system import engine

logger = logging.getLogger(__name__)

_monitor: HeartbeatMonitor | None = None


class HeartbeatMonitor(threading.Thread):
    def __init__(self, app) -> None:
        super().__init__(name="flowdash-heartbeat-monitor", daemon=True)
        self.app = app
        self.stopping = threading.Event()
        self.receiver = None

    def run(self) -> None:
        handlers = {
            "worker-online": self.on_event,
            "worker-heartbeat": self.on_event,
            "worker-offline": self.on_event,
        }
        while not self.stopping.is_set():
            try:
                with self.app.connection_for_read() as connection:
                    self.receiver = self.app.events.Receiver(
                        connection, handlers=handlers, routing_key="worker.#"
                    )
                    if self.stopping.is_set():
                        return
                    # drains for a second at a time and checks ``should_stop`` in between
                    for _ in self.receiver.consume(limit=None, timeout=None):
                        pass
            except Exception:  # noqa: BLE001 — Redis away: listen again shortly
                logger.debug("heartbeat monitor: broker unavailable", exc_info=True)
                self.stopping.wait(2.0)

    def on_event(self, event: dict) -> None:
        try:
            engine.record_worker_event(event)
        except Exception:  # noqa: BLE001 — Redis away: the next heartbeat tries again
            logger.debug("heartbeat monitor: could not record", exc_info=True)

    def stop(self) -> None:
        self.stopping.set()
        if self.receiver is not None:
            self.receiver.should_stop = True


def start(app) -> None:
    global _monitor
    if _monitor is None:
        _monitor = HeartbeatMonitor(app)
        _monitor.start()


def stop() -> None:
    global _monitor
    if _monitor is not None:
        _monitor.stop()
        _monitor = None
