"""The fault suite's shared parts: a stack of our own per test (a private redis-server, a real
Celery worker process and beat, the simulator over HTTP behind a switchable relay, a data dir of
its own) and the measurements every fault test asserts — paid POSTs per job from the simulator's
request log, the final state, the media rows and files, and nothing left behind.

Each test records its outcome with :meth:`FaultStack.outcome`; the table is printed at the end of
the run (and appended to ``$FLOWDASH_FAULTS_REPORT`` when set), ready for a closing note.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from flowdash.gallery.models import Media
from flowdash.jobs.models import Job
from flowdash.jobs.queue import create_job
from tests.conftest import WorkerProcess
from tests.faults.gate import Gate
from tests.integration.test_job_recovery import SPEED, own_stack

# Every request that asks the service to generate (and may cost money).
PAID_PATHS = frozenset(
    {
        "/images",
        "/images/upscale",
        "/videos",
        "/videos/extend",
        "/videos/upscale",
        "/videos/gif",
        "/videos/concatenate",
    }
)

_OUTCOMES: list[dict[str, Any]] = []
# Nothing more happens by itself: finished, or waiting for a person's decision.
SETTLED = (
    Job.Status.COMPLETED,
    Job.Status.FAILED,
    Job.Status.CANCELLED,
    Job.Status.NEEDS_ATTENTION,
)


def nominal(seconds: float) -> float:
    """Real seconds for ``seconds`` of the documented (nominal) time, at the suite's speed."""
    return seconds / SPEED


class FaultStack:
    """What a fault test breaks: ``redis`` (stop/start, SIGSTOP), ``worker`` (kill, restart),
    ``gate`` (the API refusing or black-holed), plus the simulator and the data dir."""

    def __init__(self, simulator, redis, worker, beat, env, tmp: Path, gate: Gate, data_dir):
        self.simulator, self.redis, self.worker, self.beat = simulator, redis, worker, beat
        self.env, self.tmp, self.gate = env, tmp, gate
        self.data_dir = Path(data_dir)
        self.media_root = self.data_dir / "media"
        self.started = time.monotonic()
        self._workers = 1
        self.recorded = False

    # --- breaking things ----------------------------------------------------------------------

    def kill_worker(self) -> None:
        """SIGKILL: no goodbye, its messages and threads die with it."""
        self.worker.kill()

    def start_worker(self) -> WorkerProcess:
        self._workers += 1
        self.worker = WorkerProcess(self.env, self.tmp / f"worker{self._workers}.log")
        self.worker.start()
        return self.worker

    def pause_redis(self) -> None:
        os.kill(self.redis.process.pid, signal.SIGSTOP)

    def resume_redis(self) -> None:
        os.kill(self.redis.process.pid, signal.SIGCONT)

    @property
    def logs(self) -> list[Path]:
        return sorted(self.tmp.glob("*.log"))

    # --- waiting ------------------------------------------------------------------------------

    def wait_for(
        self, predicate: Callable[[], bool], what: str, timeout: float = 120.0, pks=()
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        tails = "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in self.logs)
        raise AssertionError(
            f"timed out after {timeout:.0f} s waiting for {what}\n{describe(pks)}\n{tails}"
        )

    def wait_finished(self, jobs: Iterable[Job], timeout: float = 120.0) -> None:
        pks = [j.pk for j in jobs]

        def done() -> bool:
            return (
                not Job.objects.filter(pk__in=pks).exclude(status__in=SETTLED).exists()
                and not Media.objects.filter(
                    job_id__in=pks, download_status=Media.Download.PENDING
                ).exists()
            )

        self.wait_for(done, f"{len(pks)} job(s) and their downloads to finish", timeout, pks)

    # --- measuring ----------------------------------------------------------------------------

    def paid_posts(self, job: Job) -> list[dict[str, Any]]:
        """The generation requests the service received for ``job``, dropped ones included:
        matched by its prompt (every fault test makes it unique), or for a follow-up (GIF,
        upscale, extend) by its source's media id."""
        prompt = job.params.get("prompt")
        source = job.source_media.media_generation_id if job.source_media_id else None

        def ours(body: Any) -> bool:
            if not isinstance(body, dict):
                return False
            if source is not None and body.get("mediaGenerationId") == source:
                return prompt is None or body.get("prompt") == prompt
            return source is None and prompt is not None and body.get("prompt") == prompt

        return [
            entry
            for entry in self.simulator.state.requests(method="POST")
            if entry["apiPath"] in PAID_PATHS and ours(entry.get("body"))
        ]

    def leftovers(self) -> list[str]:
        """Files under the data dir's media that no row owns: temp and partial files, orphans."""
        from flowdash.assets.models import Asset

        owned = set()
        for model in (Media, Asset):
            for file_name, thumb in model.objects.values_list("file", "thumbnail"):
                owned.update(name for name in (file_name, thumb) if name)
        found = []
        if self.media_root.exists():
            for path in self.media_root.rglob("*"):
                if path.is_file() and str(path.relative_to(self.media_root)) not in owned:
                    found.append(str(path.relative_to(self.media_root)))
        return sorted(found)

    def stored_files(self, job: Job) -> list[Path]:
        files = []
        for media in Media.objects.filter(job=job):
            if media.file and (self.media_root / media.file.name).is_file():
                files.append(self.media_root / media.file.name)
        return files

    def outcome(self, fault: str, jobs: Iterable[Job], **extra: Any) -> dict[str, Any]:
        """Record the measured outcome of ``fault`` (printed at the end of the run)."""
        jobs = list(jobs)
        for job in jobs:
            job.refresh_from_db()
        states: dict[str, int] = {}
        posts: dict[int, int] = {}
        for job in jobs:
            states[job.status] = states.get(job.status, 0) + 1
            count = len(self.paid_posts(job))
            posts[count] = posts.get(count, 0) + 1
        row = {
            "fault": fault,
            "jobs": len(jobs),
            "final": ", ".join(f"{n} {s}" for s, n in sorted(states.items())),
            "paid POSTs per job": ", ".join(
                f"{n}×{c}" if n > 1 else str(c) for c, n in sorted(posts.items())
            ),
            "media rows": Media.objects.filter(job__in=jobs).count(),
            "files": sum(len(self.stored_files(j)) for j in jobs),
            "leftovers": len(self.leftovers()),
            "seconds": round(time.monotonic() - self.started, 1),
            **extra,
        }
        _OUTCOMES.append(row)
        self.recorded = True
        return row


@contextlib.contextmanager
def _stack(simulator, tmp_path, settings, **env):
    gate = Gate(simulator.port).start()
    data_dir = tmp_path / "data"
    (data_dir / "media").mkdir(parents=True)
    gate_url = f"http://127.0.0.1:{gate.port}/v1/google-flow"
    extra = {
        "FLOWDASH_RECONCILE_SECONDS": "1",
        "FLOWDASH_RENUDGE_SECONDS": "5",
        "USEAPI_BASE_URL": gate_url,
        "FLOWDASH_DATA_DIR": str(data_dir),
        "SECRET_KEY": settings.SECRET_KEY,
        **env,
    }
    try:
        with own_stack(simulator, tmp_path, settings, beat=True, **extra) as parts:
            redis, worker, beat, full_env = parts
            settings.USEAPI_BASE_URL = gate_url
            settings.MEDIA_ROOT = str(data_dir / "media")
            settings.PUBLIC_URL = env.get("FLOWDASH_PUBLIC_URL", "")
            stack = FaultStack(simulator, redis, worker, beat, full_env, tmp_path, gate, data_dir)
            try:
                yield stack
            finally:
                if redis.process and redis.process.poll() is None:
                    stack.resume_redis()  # a SIGSTOPped Redis would not stop
                if stack.worker is not worker:
                    stack.worker.stop()
    finally:
        gate.stop()


@pytest.fixture
def fault_stack(simulator, tmp_path, settings):
    """A stack of our own: Redis, a worker, beat (the reconciler every second), the simulator
    behind a :class:`Gate`, a private data dir; no webhooks. The API runs ``SPEED`` times faster
    than documented and the jobs' waits and deadlines are scaled to match."""
    with _stack(simulator, tmp_path, settings) as stack:
        yield stack


@pytest.fixture
def hooked_stack(simulator, tmp_path, settings, live_server):
    """:func:`fault_stack` with webhooks on: the web app (pytest-django's live server, real
    HTTP) is the ``FLOWDASH_PUBLIC_URL`` the simulator calls back."""
    with _stack(simulator, tmp_path, settings, FLOWDASH_PUBLIC_URL=live_server.url) as stack:
        stack.live_server = live_server
        yield stack


def assert_none_failed(jobs: Iterable[Job]) -> None:
    pks = [j.pk for j in jobs]
    failed = list(
        Job.objects.filter(pk__in=pks, status=Job.Status.FAILED).values_list("pk", flat=True)
    )
    assert not failed, describe(failed)


def describe(pks) -> str:
    """Where the jobs are: status, words, attempts, downloads (for a failure message)."""
    lines = []
    for media in Media.objects.filter(job_id__in=list(pks))[:10]:
        lines.append(
            f"media {media.pk} of job {media.job_id} {media.download_status} "
            f"tries={media.download_attempts} next={media.next_download_at} "
            f"error={media.download_error!r}"
        )
    for job in Job.objects.filter(pk__in=list(pks))[:10]:
        attempts = ", ".join(
            f"{a.action}#{a.number}:{a.outcome}:{a.http_status or ''}" for a in job.attempts.all()
        )
        lines.append(
            f"job {job.pk} {job.status} lease={job.lease_until} next={job.next_check_at} "
            f"error={job.error_message!r} attention={job.attention_reason[:80]!r} [{attempts}]"
        )
    return "\n".join(lines)


def video_params(prompt: str, **extra: Any) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "model": "veo-3.1-fast",
        "aspect_ratio": "landscape",
        "count": 1,
        "seed": 7,
        "mode": "text",
        "start": None,
        "end": None,
        "references": [],
        **extra,
    }


def image_params(prompt: str, **extra: Any) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "model": "imagen-4",
        "aspect_ratio": "landscape",
        "count": 1,
        "seed": 7,
        "references": [],
        **extra,
    }


def new_videos(label: str, count: int = 1) -> list[Job]:
    return [create_job("video", video_params(f"{label} #{i}")) for i in range(count)]


def new_images(label: str, count: int = 1) -> list[Job]:
    return [create_job("image", image_params(f"{label} #{i}")) for i in range(count)]


def status_of(job: Job) -> str:
    job.refresh_from_db()
    return job.status


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    if not _OUTCOMES:
        return
    keys = list(dict.fromkeys(k for row in _OUTCOMES for k in row))
    terminalreporter.section("fault outcomes")
    terminalreporter.write_line(" | ".join(keys))
    for row in _OUTCOMES:
        terminalreporter.write_line(" | ".join(str(row.get(k, "")) for k in keys))
    target = os.environ.get("FLOWDASH_FAULTS_REPORT")
    if target:
        with open(target, "a") as fh:
            for row in _OUTCOMES:
                fh.write(json.dumps(row) + "\n")


def assert_outcome(
    stack: FaultStack, job: Job, *, status: str, posts: int, media: int | None = None
) -> None:
    """The fault suite's four checks for one job: final state, paid POSTs the service
    received, media rows with their files on disk, and no file left that no row owns."""
    job.refresh_from_db()
    assert job.status == status, (job.status, job.error_message, job.attention_reason)
    assert len(stack.paid_posts(job)) == posts, [
        (e["apiPath"], e["status"]) for e in stack.paid_posts(job)
    ]
    if media is not None:
        rows = list(Media.objects.filter(job=job))
        assert len(rows) == media, [(m.pk, m.download_status, m.download_error) for m in rows]
        assert all(m.download_status == Media.Download.STORED for m in rows)
        assert len(stack.stored_files(job)) == media
    assert stack.leftovers() == []
