"""Load-balancing statistics exactly as GET /jobs documents them.

Per account and category (``images`` / ``videos``): ``executing`` (running now), and over the
last 15 simulated minutes ``completed`` (2xx), ``failed`` (4xx/5xx except 429), ``rateLimited``
(429) and ``avgResponseTime`` (mean over those finished entries, in nominal milliseconds).
``score = executing + 10 × failed + 20 × rateLimited``; the lowest score gets the next job,
ties are broken at random.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

WINDOW_SECONDS = 15 * 60
CATEGORIES = ("videos", "images")


@dataclass
class StatEntry:
    category: str
    email: str
    job_id: str
    start: float
    end: float | None = None
    http_status: int | None = None
    response_ms: float | None = None


def classify(status: int) -> str:
    if status == 429:
        return "rateLimited"
    if status >= 400:
        return "failed"
    return "completed"


def elapsed_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class LoadBook:
    def __init__(self, now: Callable[[], float], speed: Callable[[], float]) -> None:
        self._now = now
        self._speed = speed
        self._entries: list[StatEntry] = []
        self._lock = threading.Lock()
        self._choosing = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def begin(self, category: str, email: str, job_id: str) -> StatEntry:
        entry = StatEntry(category=category, email=email, job_id=job_id, start=self._now())
        with self._lock:
            self._entries.append(entry)
        return entry

    def finish(self, entry: StatEntry, http_status: int) -> None:
        with self._lock:
            if entry.end is not None:
                return
            entry.end = self._now()
            entry.http_status = http_status
            entry.response_ms = round((entry.end - entry.start) * self._speed() * 1000, 2)

    def _prune(self, now: float) -> None:
        cutoff = now - WINDOW_SECONDS
        self._entries = [e for e in self._entries if e.end is None or e.end >= cutoff]

    def counts(self, category: str | None, email: str) -> dict[str, Any]:
        now = self._now()
        with self._lock:
            self._prune(now)
            entries = [
                e
                for e in self._entries
                if e.email == email and (category is None or e.category == category)
            ]
        executing = sum(1 for e in entries if e.end is None)
        finished = [e for e in entries if e.end is not None]
        figures = {"completed": 0, "failed": 0, "rateLimited": 0}
        for e in finished:
            figures[classify(e.http_status or 0)] += 1
        times = [e.response_ms or 0.0 for e in finished]
        avg = round(sum(times) / len(times), 2) if times else 0
        return {
            "executing": executing,
            "completed": figures["completed"],
            "failed": figures["failed"],
            "rateLimited": figures["rateLimited"],
            "avgResponseTime": avg,
            "score": executing + 10 * figures["failed"] + 20 * figures["rateLimited"],
        }

    def executing(self, category: str, email: str) -> int:
        with self._lock:
            return sum(
                1
                for e in self._entries
                if e.end is None and e.email == email and e.category == category
            )

    def choose(self, category: str, emails: Iterable[str], rng: random.Random) -> str:
        scored = [(self.counts(category, email)["score"], email) for email in emails]
        best = min(score for score, _ in scored)
        return rng.choice(sorted(email for score, email in scored if score == best))

    def choose_and_begin(
        self, category: str, emails: Iterable[str], rng: random.Random
    ) -> StatEntry:
        """Pick the lowest score and count the job as executing there, atomically."""
        with self._choosing:
            email = self.choose(category, emails, rng)
            return self.begin(category, email, "")

    def discard(self, entry: StatEntry) -> None:
        """Forget a reservation whose request never became a job."""
        with self._lock:
            if entry in self._entries and entry.end is None:
                self._entries.remove(entry)

    def report(self, emails: list[str], mask: Callable[[str], str], option: str) -> dict[str, Any]:
        """The body of GET /jobs for ``option`` in summary / executing / history."""
        now = self._now()
        speed = self._speed()
        body: dict[str, Any] = {}
        for category in CATEGORIES:
            part: dict[str, Any] = {
                "summary": {mask(email): self.counts(category, email) for email in emails}
            }
            if option in ("executing", "history"):
                with self._lock:
                    running = [
                        e
                        for e in self._entries
                        if e.end is None and e.category == category and e.job_id
                    ]
                part["executing"] = {
                    e.job_id: {
                        "email": mask(e.email),
                        "timestamp": int(e.start * 1000),
                        "elapsed": elapsed_text((now - e.start) * speed),
                    }
                    for e in sorted(running, key=lambda e: e.start)
                }
            if option == "history":
                with self._lock:
                    self._prune(now)
                    done = [
                        e for e in self._entries if e.end is not None and e.category == category
                    ]
                done.sort(key=lambda e: e.end or 0, reverse=True)
                part["history"] = {
                    e.job_id: {
                        "email": mask(e.email),
                        "timestamp": int(e.start * 1000),
                        "httpStatus": e.http_status,
                        "responseTime": round(e.response_ms or 0),
                    }
                    for e in done[:10]
                }
            body[category] = part
        body["combined"] = {"summary": {mask(email): self.counts(None, email) for email in emails}}
        return body
