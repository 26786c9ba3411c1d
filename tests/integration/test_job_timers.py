"""Later steps of a job are sent by the worker's own timers, not only by the reconciler: a video
submitted with ``async: true`` is checked near its documented time and completes with no beat
running at all, and a batch of images shares the accounts' slots without a 429."""

from __future__ import annotations

import pytest

from flowdash.accounts.models import FlowAccount
from flowdash.jobs.models import Job
from flowdash.jobs.queue import create_job
from tests.integration.test_job_recovery import (
    finished_with_file,
    own_stack,
    video_job,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_only(simulator, tmp_path, settings):
    """Redis and a worker of our own; no beat, so no reconciler."""
    with own_stack(simulator, tmp_path, settings, beat=False) as (_redis, worker, _beat, _env):
        yield worker


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
