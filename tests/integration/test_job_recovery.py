"""Jobs survive a killed worker and a restarted Redis: a real Redis, real Celery worker and beat
processes, the simulator over HTTP. Each job is still submitted to the API exactly once.

These start their own redis-server (the embedded binary) on a spare loopback port, their own
worker and a beat that runs the reconciler every second, and stop them all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from flowdash.gallery.models import Media
from flowdash.jobs.models import Job
from flowdash.jobs.queue import create_job
from flowdash.lib.ports import free_port, wait_for_port
from tests.conftest import (
    ROOT,
    SIM_TOKEN,
    WorkerProcess,
    database_url_for_subprocess,
)

pytestmark = pytest.mark.django_db(transaction=True)

SPEED = 20.0  # a fast video takes 100 s / 20 = about 5 s: long enough to break things midway


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        from flowdash.lib.embedded_redis import server_args

        data_dir = Path(tempfile.mkdtemp(prefix="flowdash-redis-"))
        self.process = subprocess.Popen(
            server_args(data_dir=data_dir, port=self.port, persist=False),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Beat:
    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env, self.workdir = env, workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "flowdash",
                "beat",
                "--loglevel",
                "INFO",
                "-s",
                str(self.workdir / "beat-schedule"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=(self.workdir / "beat.log").open("a"),
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@contextlib.contextmanager
def own_stack(simulator, tmp_path, settings, *, beat: bool, **extra_env):
    """Redis + a worker (+ beat) of our own, pointed at the test database and the simulator.
    Yields (redis, worker, beat or None, env)."""
    from flowdash.celery import app as celery_app

    simulator.state.reset()
    simulator.state.update_settings({"speed": SPEED})
    settings.USEAPI_BASE_URL = simulator.base_url
    settings.USEAPI_TOKEN = SIM_TOKEN
    settings.FLOWDASH_SANDBOX = False
    settings.PUBLIC_URL = ""
    redis = Redis()
    redis.start()
    old_broker = celery_app.conf.broker_url
    celery_app.conf.broker_url = redis.url
    # Pooled connections still point at another test's Redis (and worker): drop them, so this
    # test's messages reach this test's worker.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": redis.url,
        "USEAPI_BASE_URL": simulator.base_url,
        "USEAPI_TOKEN": SIM_TOKEN,
        "FLOWDASH_SANDBOX": "0",
        "FLOWDASH_JOB_TIME_SCALE": str(SPEED),
        "DJANGO_SETTINGS_MODULE": "flowdash.settings",
        **extra_env,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.start()
    scheduler = Beat(env, tmp_path) if beat else None
    if scheduler is not None:
        scheduler.start()
    try:
        yield redis, worker, scheduler, env
    finally:
        if scheduler is not None:
            scheduler.stop()
        worker.stop()
        redis.stop()
        celery_app.conf.broker_url = old_broker
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        simulator.state.update_settings(
            {"speed": float(os.environ.get("FLOWDASH_TEST_SIM_SPEED", "500"))}
        )
        simulator.state.reset()


@pytest.fixture
def stack(simulator, tmp_path, settings):
    """Redis + worker + beat of our own (the reconciler every second)."""
    extra = {"FLOWDASH_RECONCILE_SECONDS": "1", "FLOWDASH_RENUDGE_SECONDS": "5"}
    with own_stack(simulator, tmp_path, settings, beat=True, **extra) as (redis, worker, beat, env):

        class Stack:
            pass

        parts = Stack()
        parts.redis, parts.worker, parts.beat, parts.env = redis, worker, beat, env
        parts.tmp = tmp_path
        try:
            yield parts
        finally:
            if parts.worker is not worker:  # a test started a replacement worker
                parts.worker.stop()


def wait_for(predicate, what: str, timeout: float = 120.0, logs=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tails = "\n".join(Path(p).read_text()[-3000:] for p in logs if Path(p).exists())
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


def video_job() -> Job:
    return create_job(
        "video",
        {
            "prompt": "a kite over the sea",
            "model": "veo-3.1-fast",
            "aspect_ratio": "landscape",
            "count": 1,
            "seed": 3,
            "mode": "text",
            "start": None,
            "end": None,
            "references": [],
        },
    )


def status(job: Job) -> str:
    job.refresh_from_db()
    return job.status


def finished_with_file(job: Job) -> bool:
    job.refresh_from_db()
    return (
        job.status == Job.Status.COMPLETED
        and job.media.filter(download_status=Media.Download.STORED).exists()
    )


def test_a_worker_killed_mid_video_job_loses_nothing(stack, simulator):
    logs = (stack.tmp / "worker.log", stack.tmp / "beat.log")
    job = video_job()
    wait_for(lambda: status(job) == Job.Status.RUNNING, "the job to be submitted", logs=logs)
    assert not job.is_finished

    stack.worker.kill()  # SIGKILL: no goodbye, its pending messages die with it
    stack.worker = WorkerProcess(stack.env, stack.tmp / "worker2.log")
    stack.worker.start()

    wait_for(
        lambda: finished_with_file(job),
        "the job to complete",
        logs=(stack.tmp / "worker2.log", stack.tmp / "beat.log"),
    )
    assert len(simulator.state.requests(method="POST", path="/videos")) == 1
    media = job.media.get()
    assert Path(media.file.path).is_file() and media.duration_seconds


def test_a_redis_restart_mid_video_job_loses_nothing(stack, simulator):
    logs = (stack.tmp / "worker.log", stack.tmp / "beat.log")
    job = video_job()
    wait_for(lambda: status(job) == Job.Status.RUNNING, "the job to be submitted", logs=logs)

    stack.redis.stop()  # every queued message is gone (no persistence)
    stack.redis.start()  # same port, empty

    wait_for(lambda: finished_with_file(job), "the job to complete", logs=logs)
    assert len(simulator.state.requests(method="POST", path="/videos")) == 1
