"""Simulated time.

The simulated wall clock is the real clock plus an offset that only ever grows
(:meth:`SimClock.advance`), so timestamps stay close to the host's clock while tests can jump
days ahead (job expiry, signed-URL expiry, the 15-minute statistics window).

Work durations are *nominal* (what the real service takes: ~10-20 s per image, ~60-180 s per
video) and are divided by the speed factor to get how long they take on the simulated clock.
Everything that waits for work goes through the :class:`Scheduler`, one thread with a heap of
due times, so advancing the clock also finishes the work that became due.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class SimClock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        """Simulated epoch seconds."""
        return time.time() + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move simulated time forward; returns the new simulated now."""
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            self._offset += seconds
            listeners = list(self._listeners)
        for listener in listeners:
            listener()
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
        for listener in list(self._listeners):
            listener()

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)


class Stopped(Exception):
    """The simulator is shutting down while a request waited."""


class Scheduler:
    """Runs callbacks at simulated times on one background thread."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._heap: list[tuple[float, int, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._epoch = 0
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._waiting: set[threading.Event] = set()
        self._running = False  # a callback is being run right now
        clock.on_change(self.wake)

    @property
    def stopping(self) -> threading.Event:
        return self._stopping

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sim-scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def clear(self) -> None:
        """Forget every pending callback and release every waiting request (used by reset)."""
        with self._cond:
            self._epoch += 1
            self._heap.clear()
            waiting = list(self._waiting)
            self._cond.notify_all()
        for event in waiting:
            event.set()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait (real time, at most ``timeout``) until every callback due by now has run, so a
        caller that advanced the clock sees the work it made due as finished. False if some
        callback was still pending or running when the time was up."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = self.clock.now()
                due = any(when <= now and epoch == self._epoch for when, _, epoch, _ in self._heap)
                if not due and not self._running:
                    return True
                left = deadline - time.monotonic()
                if left <= 0 or self._stopping.is_set() or self._thread is None:
                    return False
                self._cond.notify_all()
                self._cond.wait(min(left, 0.05))

    def call_at(self, when: float, callback: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._seq), self._epoch, callback))
            self._cond.notify_all()

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        self.call_at(self.clock.now() + max(0.0, delay), callback)

    def sleep(self, delay: float) -> None:
        """Block the calling (request) thread for ``delay`` simulated seconds."""
        if delay <= 0:
            return
        done = threading.Event()
        self.call_later(delay, done.set)
        self.wait(done)

    def wait(self, event: threading.Event, timeout: float | None = None) -> bool:
        """Wait for ``event`` (real-time ``timeout``); raise :class:`Stopped` on shutdown."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._waiting.add(event)
        try:
            while not event.wait(0.2):
                if self._stopping.is_set():
                    raise Stopped
                if deadline is not None and time.monotonic() >= deadline:
                    return False
            return True
        finally:
            with self._cond:
                self._waiting.discard(event)

    def _run(self) -> None:
        while not self._stopping.is_set():
            with self._cond:
                callback = None
                if self._heap:
                    when, _, epoch, cb = self._heap[0]
                    if epoch != self._epoch:
                        heapq.heappop(self._heap)
                        continue
                    delay = when - self.clock.now()
                    if delay <= 0:
                        heapq.heappop(self._heap)
                        callback = cb
                        self._running = True
                    else:
                        self._cond.wait(min(delay, 1.0))
                else:
                    self._cond.wait(1.0)
            if callback is not None:
                try:
                    callback()
                except Exception:  # a broken callback must not stop the simulator
                    log.exception("simulator scheduler callback failed")
                finally:
                    with self._cond:
                        self._running = False
                        self._cond.notify_all()
