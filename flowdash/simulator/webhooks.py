"""Webhook callbacks: POST the job record to ``replyUrl`` at each status change.

Sent from background threads with a 5 s timeout and no retry, like the service. Callbacks of
one job go through the same worker, so they arrive in order. Every attempt is logged
(``GET /_sim/webhooks``).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
import zlib
from typing import Any

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5.0
USER_AGENT = "flowdash-simulator/1 (webhook)"


class WebhookSender:
    def __init__(self, workers: int = 4) -> None:
        self._queues: list[queue.Queue] = [queue.Queue() for _ in range(workers)]
        self._threads: list[threading.Thread] = []
        self._log: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> None:
        if self._threads:
            return
        for index, q in enumerate(self._queues):
            thread = threading.Thread(
                target=self._run, args=(q,), name=f"sim-webhook-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        for q in self._queues:
            q.put(None)
        for thread in self._threads:
            thread.join(timeout=TIMEOUT_SECONDS + 1)
        self._threads.clear()

    def send(self, job_id: str, url: str, payload: dict[str, Any], *, lost: bool = False) -> None:
        entry = {
            "jobId": job_id,
            "url": url,
            "status": payload.get("status"),
            "replyRef": (payload.get("request") or {}).get("replyRef"),
            "queuedAt": time.time(),
            "delivered": False,
            "lost": lost,
            "httpStatus": None,
            "error": None,
        }
        with self._lock:
            self._log.append(entry)
            if len(self._log) > 5000:
                del self._log[:1000]
        if lost:
            entry["error"] = "dropped by fault webhook_lost"
            return
        index = zlib.crc32(job_id.encode()) % len(self._queues)
        self._queues[index].put((entry, url, json.dumps(payload).encode("utf-8")))

    def deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._log]

    def clear(self) -> None:
        with self._lock:
            self._log.clear()

    def _run(self, q: queue.Queue) -> None:
        while True:
            item = q.get()
            if item is None or self._stopping.is_set():
                return
            entry, url, data = item
            request = urllib.request.Request(  # noqa: S310 - replyUrl is checked to be http(s)
                url,
                data=data,
                method="POST",
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            )
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                    entry["httpStatus"] = response.status
                    entry["delivered"] = True
            except urllib.error.HTTPError as exc:
                entry["httpStatus"] = exc.code
                entry["error"] = f"HTTP {exc.code}"
            except Exception as exc:  # timeouts, refused connections: no retry, by design
                entry["error"] = f"{type(exc).__name__}: {exc}"
                log.info("webhook to %s failed: %s", url, exc)
