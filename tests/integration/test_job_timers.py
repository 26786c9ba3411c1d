"""Later steps of a job are sent by the worker's own timers, not only by the reconciler: a video
submitted with ``async: true`` is checked near its documented time and completes with no beat
running at all, and a batch of images shares the accounts' slots without a 429."""

from __future__ import annotations

import os

import pytest

from flowdash.accounts.models import FlowAccount
from flowdash.jobs.models import Job
from flowdash.jobs.queue import create_job
from tests.conftest import SIM_TOKEN, WorkerProcess, database_url_for_subprocess
from tests.integration.test_job_recovery import (
    SPEED,
    Redis,
    finished_with_file,
    video_job,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_only(simulator, tmp_path, settings):
    """Redis and a worker of our own; no beat, so no reconciler."""
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
    # connections to an earlier test's Redis are pooled: start afresh on this one
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
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.start()
    yield worker
    worker.stop()
    redis.stop()
    celery_app.conf.broker_url = old_broker
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    simulator.state.update_settings(
        {"speed": float(os.environ.get("FLOWDASH_TEST_SIM_SPEED", "500"))}
    )
    simulator.state.reset()


def test_a_video_is_checked_and_completed_with_no_reconciler(worker_only, simulator):
    job = video_job()
    wait_for(lambda: finished_with_file(job), "the job to complete", logs=[worker_only.log_path])
    assert len(simulator.state.requests(method="POST", path="/videos")) == 1
    checks = simulator.state.requests(method="GET", path=f"/jobs/{job.remote_job_id}")
    # scheduled checks near the documented generation time, not a loop
    assert 1 <= len(checks) <= 6


def test_a_batch_of_images_shares_the_slots_without_being_throttled(worker_only, simulator):
    for email in simulator.state.accounts:
        local, _, domain = email.partition("@")
        FlowAccount.objects.create(email=f"{local[:2]}***@{domain}", full_email=email, health="OK")
    params = {
        "prompt": "a lighthouse",
        "model": "imagen-4",
        "aspect_ratio": "landscape",
        "count": 1,
        "references": [],
    }
    jobs = [create_job("image", {**params, "seed": i}) for i in range(12)]

    def all_done() -> bool:
        return (
            not Job.objects.filter(pk__in=[j.pk for j in jobs])
            .exclude(status=Job.Status.COMPLETED)
            .exists()
        )

    wait_for(all_done, "the images to complete", logs=[worker_only.log_path])
    sent = simulator.state.requests(method="POST", path="/images")
    # 3 accounts × the documented minimum of 3 slots: nothing past what an account takes
    assert [r["status"] for r in sent].count(429) == 0
    assert len(sent) == 12
